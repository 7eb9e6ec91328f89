-- The Stripe client's token bucket, shared by every replica, so that all of
-- them together stay below Stripe's rate limit (stripeapi.BucketStore).
CREATE TABLE rate_buckets (
	name       text PRIMARY KEY,
	tokens     double precision NOT NULL,
	updated_at timestamptz NOT NULL
);
