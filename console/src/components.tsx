// Small pieces every page uses: an error box that says what went wrong,
// an empty state that says what to do, a status badge.
import type { ReactNode } from "react";

export function ErrorBox({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Badge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}
