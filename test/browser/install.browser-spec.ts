import { enrolledPerson, useBrowserSuite } from '@countersign/testing';

jest.setTimeout(60_000);

/** Width and height from a PNG's IHDR chunk; null when the bytes are not a PNG. */
function pngSize(bytes: Buffer): { width: number; height: number } | null {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(signature) || bytes.subarray(12, 16).toString('latin1') !== 'IHDR') return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function fetchPng(url: string): Promise<{ contentType: string | null; size: { width: number; height: number } | null }> {
  const response = await fetch(url);
  expect({ url, status: response.status }).toEqual({ url, status: 200 });
  return { contentType: response.headers.get('content-type'), size: pngSize(Buffer.from(await response.arrayBuffer())) };
}

interface Manifest {
  name: string;
  short_name: string;
  start_url: string;
  scope: string;
  display: string;
  theme_color: string;
  background_color: string;
  icons: Array<{ src: string; sizes: string; type: string; purpose?: string }>;
}

describe('the web app on a phone: installable (iOS push needs the home screen) and a one-row header', () => {
  const suite = useBrowserSuite();

  it('links a valid web app manifest, served as application/manifest+json and allowed by the CSP, with real PNG icons', async () => {
    const context = await suite.browser.newContext();
    try {
      const page = await context.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await page.goto(`${suite.webUrl}/sign-in`);
      // A string: the root tsconfig has no DOM types (the other browser suites do the same).
      const links = await page.evaluate<{ manifest: string | null; appleTouchIcon: string | null }>(`({
        manifest: document.querySelector('link[rel="manifest"]')?.href ?? null,
        appleTouchIcon: document.querySelector('link[rel="apple-touch-icon"]')?.href ?? null,
      })`);
      expect(links.manifest).toBe(`${suite.webUrl}/manifest.webmanifest`);

      const response = await fetch(links.manifest!);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/manifest\+json/);
      const manifest = JSON.parse(await response.text()) as Manifest;
      expect(manifest).toMatchObject({
        name: 'Countersign',
        short_name: 'Countersign',
        start_url: '/inbox',
        scope: '/',
        display: 'standalone',
      });
      expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
      expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);
      const purposes = manifest.icons.map((icon) => `${icon.sizes} ${icon.purpose ?? 'any'}`);
      expect(purposes).toEqual(expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']));
      for (const icon of manifest.icons) {
        const [width, height] = icon.sizes.split('x').map(Number);
        expect(icon.type).toBe('image/png');
        const fetched = await fetchPng(new URL(icon.src, links.manifest!).href);
        expect({ src: icon.src, ...fetched }).toEqual({ src: icon.src, contentType: 'image/png', size: { width, height } });
      }
      expect(await fetchPng(links.appleTouchIcon!)).toEqual({ contentType: 'image/png', size: { width: 180, height: 180 } });

      // Chromium itself fetches and parses it, under the page's CSP: no errors, the same members.
      const cdp = await context.newCDPSession(page);
      const parsed = await cdp.send('Page.getAppManifest', {});
      expect(parsed.errors).toEqual([]);
      expect(parsed.url).toBe(links.manifest);
      expect(JSON.parse(parsed.data ?? '{}')).toMatchObject({ name: 'Countersign', display: 'standalone' });
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('at 390 px wide the header is one row, nothing overflows it, and a long email is ellipsised with the whole in its title', async () => {
    const email = `a.rather.long.name.for.a.person-${Date.now().toString(36)}@approvals.example.com`;
    const { context, page } = await enrolledPerson(suite.browser, suite.api, {
      email,
      role: 'admin',
      viewport: { width: 390, height: 844 },
    });
    try {
      interface Layout {
        headerHeight: number;
        padding: number;
        tallestChild: number;
        tops: number[];
        headerFits: boolean;
        rightmost: number;
        viewport: number;
        name: { text: string | null; title: string; fits: boolean; overflow: string; width: number };
      }
      const layout = await page.evaluate<Layout>(`(() => {
        const header = document.querySelector('.app-header');
        const style = getComputedStyle(header);
        const children = [...header.children].map((child) => child.getBoundingClientRect());
        const name = document.querySelector('.who-name');
        return {
          headerHeight: header.getBoundingClientRect().height,
          padding: parseFloat(style.paddingTop) + parseFloat(style.paddingBottom),
          tallestChild: Math.max(...children.map((box) => box.height)),
          tops: children.map((box) => Math.round(box.top + box.height / 2)),
          headerFits: header.scrollWidth <= header.clientWidth,
          rightmost: Math.max(...children.map((box) => box.right)),
          viewport: window.innerWidth,
          name: { text: name.textContent, title: name.title, fits: name.scrollWidth <= name.clientWidth, overflow: getComputedStyle(name).textOverflow, width: name.clientWidth },
        };
      })()`);
      // One row: the header is as tall as its tallest item, and every item is centred on the same line.
      expect(layout.headerHeight).toBeCloseTo(layout.tallestChild + layout.padding, 0);
      expect(new Set(layout.tops).size).toBe(1);
      expect(layout.headerFits).toBe(true);
      expect(layout.rightmost).toBeLessThanOrEqual(layout.viewport);
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.getByRole('link', { name: 'Admin' }).waitFor();
      // The name is never cut silently: it fits, or it ends in an ellipsis by design with the whole email in its title.
      expect(layout.name.text).toBe(email);
      if (!layout.name.fits)
        expect({ overflow: layout.name.overflow, title: layout.name.title }).toEqual({ overflow: 'ellipsis', title: email });
      expect(layout.name.width).toBeGreaterThan(40);
    } finally {
      await context.close();
    }
  });
});
