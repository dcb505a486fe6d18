// Coded so that every transport can map a domain failure exhaustively (see STYLE.md, "Config, logs, errors").
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
