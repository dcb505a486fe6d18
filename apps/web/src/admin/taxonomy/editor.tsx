// The taxonomy tab's editor with line numbers, and the findings of a check or an apply.
import { useMemo, useRef } from 'react';
import { type LintFinding, type TaxonomyCheck } from '../admin-api';

export const LINE_HEIGHT = 20;

export type Result =
  | { kind: 'checked'; check: TaxonomyCheck }
  | { kind: 'refused'; message: string; errors: LintFinding[] }
  | { kind: 'applied'; version: number; warnings: LintFinding[]; tests: { total: number; passed: number } };

export function CodeEditor({
  value,
  onChange,
  errorLines,
  textarea,
}: {
  value: string;
  onChange: (value: string) => void;
  errorLines: Set<number>;
  textarea: React.RefObject<HTMLTextAreaElement | null>;
}) {
  const gutter = useRef<HTMLDivElement>(null);
  const count = useMemo(() => value.split('\n').length, [value]);
  return (
    <div className="code-editor" style={{ ['--line-height' as string]: `${LINE_HEIGHT}px` }}>
      <div className="gutter" ref={gutter} aria-hidden="true">
        {Array.from({ length: count }, (_, index) => (
          <span key={index} className={errorLines.has(index + 1) ? 'gutter-error' : undefined}>
            {index + 1}
          </span>
        ))}
      </div>
      <textarea
        ref={textarea}
        aria-label="Taxonomy file (YAML)"
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        wrap="off"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        onScroll={(event) => {
          if (gutter.current) gutter.current.scrollTop = event.currentTarget.scrollTop;
        }}
        onKeyDown={(event) => {
          // Tab indents (two spaces, as YAML wants); Escape then Tab leaves the editor.
          if (
            event.key === 'Tab' &&
            !event.shiftKey &&
            !event.altKey &&
            !event.ctrlKey &&
            !event.metaKey &&
            event.currentTarget.dataset.escaped !== '1'
          ) {
            event.preventDefault();
            const area = event.currentTarget;
            const { selectionStart, selectionEnd } = area;
            onChange(value.slice(0, selectionStart) + '  ' + value.slice(selectionEnd));
            requestAnimationFrame(() => area.setSelectionRange(selectionStart + 2, selectionStart + 2));
          }
          event.currentTarget.dataset.escaped = event.key === 'Escape' ? '1' : '0';
        }}
      />
    </div>
  );
}

export function Findings({ result, onJump }: { result: Result | null; onJump: (line: number) => void }) {
  if (!result) return null;
  const list = (findings: LintFinding[]) => (
    <ul className="findings">
      {findings.map((finding, index) => (
        <li key={index} className={`finding finding-${finding.severity}`}>
          <button type="button" className="line-link" onClick={() => onJump(finding.line)}>
            Line {finding.line}
            {finding.column > 1 ? `, column ${finding.column}` : ''}
          </button>{' '}
          <span className="finding-severity">{finding.severity}:</span> {finding.message}
          {finding.path && <span className="mono small muted"> ({finding.path})</span>}
        </li>
      ))}
    </ul>
  );
  switch (result.kind) {
    case 'refused':
      return (
        <div className="result result-error" role="alert">
          <h3>Not applied: the file has {result.errors.length === 1 ? 'an error' : `${result.errors.length} errors`}. Nothing changed.</h3>
          {list(result.errors)}
        </div>
      );
    case 'checked': {
      const { lint, tests } = result.check;
      const failing = tests?.failures ?? [];
      const ok = lint.errors === 0 && failing.length === 0;
      return (
        <div className={`result ${ok ? 'result-ok' : 'result-error'}`} role={ok ? 'status' : 'alert'}>
          <h3>
            {lint.errors === 0 ? 'No errors' : `${lint.errors} error${lint.errors === 1 ? '' : 's'}`}, {lint.warnings} warning
            {lint.warnings === 1 ? '' : 's'}
            {tests ? `; tests: ${tests.passed} of ${tests.total} pass` : '; its tests cannot run until the errors are fixed'}.
          </h3>
          {list(lint.findings)}
          {failing.length > 0 && (
            <ul className="findings">
              {failing.map((failure) => (
                <li key={failure.name} className="finding finding-error">
                  {failure.line ? (
                    <button type="button" className="line-link" onClick={() => onJump(failure.line ?? 1)}>
                      Line {failure.line}
                    </button>
                  ) : null}{' '}
                  test “{failure.name}” fails on {failure.mismatches.join(', ')}
                </li>
              ))}
            </ul>
          )}
        </div>
      );
    }
    case 'applied':
      return (
        <div className="result result-ok" role="status">
          <h3>
            Version {result.version} is now active ({result.tests.passed} of {result.tests.total} tests pass).
          </h3>
          {result.warnings.length > 0 && list(result.warnings)}
        </div>
      );
  }
}
