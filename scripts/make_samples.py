#!/usr/bin/env python3
"""Writes the bundled sample data in samples/ (deterministic, stdlib only, no network).

  samples/trips.csv.gz     3,000 NYC-taxi-like trips (flat, typed by CSV inference)
  samples/issues.jsonl.gz  1,500 GitHub-issue-like records (nested objects, lists, type drift)

Run from the repository root: python3 scripts/make_samples.py
"""
import csv, datetime as dt, gzip, io, json, random

rng = random.Random(7)
epoch = dt.datetime(2024, 1, 1)

def trips(n):
    for i in range(1, n + 1):
        pickup = epoch + dt.timedelta(seconds=rng.randrange(31 * 86400))
        distance = round(rng.expovariate(1 / 3.0) + 0.05, 2)
        dropoff = pickup + dt.timedelta(seconds=60 + int(distance * 150 + rng.random() * 900))
        fare = round(3 + 2.5 * distance, 2)
        tip = round(fare * rng.random() * 0.25, 2)
        yield {
            "trip_id": i, "vendor_id": rng.choice([1, 2]),
            "pickup_at": pickup.isoformat(), "dropoff_at": dropoff.isoformat(),
            "passenger_count": "" if rng.random() < 0.03 else rng.choice([1, 1, 1, 2, 3]),
            "trip_distance": distance, "store_and_fwd_flag": "Y" if rng.random() < 0.01 else "N",
            "pu_location_id": rng.randint(1, 265), "do_location_id": rng.randint(1, 265),
            "payment_type": rng.choice(["card", "card", "cash", "no charge"]),
            "fare_amount": fare, "tip_amount": tip, "total_amount": round(fare + tip + 1.0, 2),
        }

words = "crash error schema table column nested list parse slow memory merge cursor state load".split()

def issues(n):
    for i in range(n):
        created = epoch + dt.timedelta(minutes=17 * i)
        labels = [{"id": 100 + k, "name": name, "color": color} for k, (name, color) in
                  enumerate(rng.sample([("bug", "d73a4a"), ("enhancement", "a2eeef"), ("docs", "0075ca"), ("question", "d876e3")], rng.randint(0, 2)))]
        yield {
            "id": 9_000_000 + i, "number": i + 1,
            "title": " ".join(rng.choice(words) for _ in range(rng.randint(3, 8))).capitalize(),
            "state": rng.choice(["open", "closed"]),
            "user": {"login": f"user{rng.randrange(300):03d}", "id": 1000 + rng.randrange(300), "site_admin": False},
            "labels": labels,
            "assignees": [{"login": f"user{rng.randrange(300):03d}"} for _ in range(rng.choice([0, 0, 1, 2]))],
            "milestone": {"title": f"v1.{rng.randrange(5)}", "due_on": (created + dt.timedelta(days=30)).isoformat() + "Z"} if rng.random() < 0.3 else None,
            "comments": f"{rng.randrange(40)}+" if (i and rng.random() < 0.01) else rng.randrange(40),
            "reactions": {"+1": rng.randrange(5), "-1": rng.randrange(2), "total_count": rng.randrange(7)},
            "created_at": created.isoformat() + "Z",
            "updated_at": (created + dt.timedelta(hours=rng.randrange(100))).isoformat() + "Z",
        }

def write_gz(path, text):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(text.encode())

rows = list(trips(3000))
buf = io.StringIO()
w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
w.writeheader(); w.writerows(rows)
write_gz("samples/trips.csv.gz", buf.getvalue())
write_gz("samples/issues.jsonl.gz", "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in issues(1500)))
print("wrote samples/trips.csv.gz (3000 rows) and samples/issues.jsonl.gz (1500 records)")
