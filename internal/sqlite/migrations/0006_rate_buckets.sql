-- The Stripe client's shared token bucket (stripeapi.BucketStore) lives in
-- PostgreSQL, where several replicas share one database. A SQLite database
-- has one process, whose bucket is kept in memory: the table is created so
-- that both stores keep the same list of migrations, and stays empty.
CREATE TABLE rate_buckets (
	name       TEXT PRIMARY KEY,
	tokens     REAL NOT NULL,
	updated_at INTEGER NOT NULL
);
