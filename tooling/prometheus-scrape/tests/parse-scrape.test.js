import { describe, expect, it } from "vitest";
import { labelValues, metricNames, parseScrape, total } from "../index.js";

const TEXT = `# HELP req_total Requests.
# TYPE req_total counter
req_total{route="a",status="200"} 3
req_total{route="b",status="500"} 2
# HELP lat_seconds Latency.
# TYPE lat_seconds histogram
lat_seconds_bucket{le="0.1",route="a"} 1
lat_seconds_bucket{le="+Inf",route="a"} 2
lat_seconds_sum{route="a"} 0.3
lat_seconds_count{route="a"} 2
lat_seconds_bucket{le="0.1",route="b"} 0
lat_seconds_bucket{le="+Inf",route="b"} 5
lat_seconds_sum{route="b"} 1.5
lat_seconds_count{route="b"} 5
# HELP idle_seconds Never observed.
# TYPE idle_seconds histogram
`;

describe("parseScrape", () => {
  it("keeps every label set of a histogram, which the parser alone folds into one", () => {
    const s = parseScrape(TEXT);
    expect(total(s, "lat_seconds")).toBe(7);
    expect(total(s, "lat_seconds", { route: "b" })).toBe(5);
    expect(total(s, "req_total", { status: "500" })).toBe(2);
    expect(total(s, "idle_seconds")).toBe(0);
  });

  it("lists names (a histogram under its own name too) and every label value", () => {
    const s = parseScrape(TEXT);
    expect([...metricNames(s)]).toEqual(
      expect.arrayContaining(["req_total", "lat_seconds", "lat_seconds_bucket", "idle_seconds"]),
    );
    expect(labelValues(s)).toEqual(expect.arrayContaining(["a", "b", "200", "500", "+Inf"]));
    expect(() => total(s, "missing_total")).toThrow("no missing_total in the scrape");
  });
});
