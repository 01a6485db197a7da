"use client";

export default function AppError({ reset }: { error: Error; reset: () => void }) {
  // The error itself stays in the server log; the page shows a sentence, never a stack.
  return (
    <div className="card card-body" role="alert">
      <h2>Something went wrong on this page</h2>
      <p className="muted">Try again; if it keeps happening, reload the page.</p>
      <button onClick={reset}>Try again</button>
    </div>
  );
}
