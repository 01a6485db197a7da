import Link from "next/link";

export default function NotFound() {
  return (
    <div className="auth-wrap">
      <div className="auth-card card card-body" style={{ textAlign: "center" }}>
        <h1>Page not found</h1>
        <p className="sub">The page does not exist, or it belongs to another team.</p>
        <Link href="/projects" className="btn btn-primary">
          Go to your projects
        </Link>
      </div>
    </div>
  );
}
