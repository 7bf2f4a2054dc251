-- A case registered in an area where a case of the same category was closed
-- within the recurrence window points at that case (避免同类问题反复出现).
ALTER TABLE cases ADD COLUMN recurs_case_id BIGINT REFERENCES cases(id);
