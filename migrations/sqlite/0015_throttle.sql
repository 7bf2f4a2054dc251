-- Rate-limit counters shared by every instance: hits per bucket (a client
-- address, a tracking code's second factor) in fixed windows, of which the
-- limiter reads the current and the previous one. Rows past `expires` are
-- pruned by the background jobs.
CREATE TABLE throttle (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX throttle_expires ON throttle(expires);
