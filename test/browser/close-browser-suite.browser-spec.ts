import { chromiumProcess, closeBrowserSuite, launchBrowser, type RunningApi } from '@countersign/testing';

describe("a browser suite's end", () => {
  it('kills a Chromium that does not exit when asked to, and goes on to close the API', async () => {
    const browser = await launchBrowser();
    const chromium = chromiumProcess(browser);
    expect(chromium?.pid).toEqual(expect.any(Number));
    const page = await browser.newPage();
    await page.setContent('<p>open</p>');
    // A stopped process reads no "close" and never exits by itself: the hang a CI run once met, made certain.
    process.kill(chromium!.pid!, 'SIGSTOP');
    const exited = new Promise<NodeJS.Signals | null>((resolve) => chromium!.once('exit', (_code, signal) => resolve(signal)));
    let apiClosed = false;
    const api = { close: () => Promise.resolve(void (apiClosed = true)) } as RunningApi;

    const started = Date.now();
    await closeBrowserSuite(browser, api, { browserExitGraceMs: 1_000, apiCloseLimitMs: 1_000 });

    expect(await exited).toBe('SIGKILL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(apiClosed).toBe(true);
  });

  it('closes a Chromium that exits when asked to without killing it', async () => {
    const browser = await launchBrowser();
    const chromium = chromiumProcess(browser)!;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => chromium.once('exit', (_code, signal) => resolve(signal)));

    await closeBrowserSuite(browser, undefined, { browserExitGraceMs: 10_000, apiCloseLimitMs: 1_000 });

    expect(await exited).toBeNull();
  });

  it('fails, naming the API, when the API does not close in time', async () => {
    const api = { close: () => new Promise<void>(() => undefined) } as RunningApi;
    await expect(closeBrowserSuite(undefined, api, { browserExitGraceMs: 1_000, apiCloseLimitMs: 200 })).rejects.toThrow(
      'the API did not close within 200 ms',
    );
  });
});
