-- Dated exceptions with hours: special opening hours on a date (is_open = 1, e.g. 09:00-12:00 on 24 December)
-- or a closed period within the usual hours (is_open = 0, e.g. from 13:00 on 31 December). Both NULL: the whole day.
-- Several exceptions per date become possible, so the one-per-date key is replaced by a plain index.

ALTER TABLE time_exception
    ADD COLUMN start_time TIME NULL,
    ADD COLUMN end_time   TIME NULL;

ALTER TABLE time_exception
    ADD CONSTRAINT time_exception_hours_ck CHECK (
        (start_time IS NULL AND end_time IS NULL)
        OR (start_time IS NOT NULL AND end_time IS NOT NULL AND start_time < end_time));

CREATE INDEX time_exception_condition_date_ix ON time_exception (time_condition_id, on_date);

ALTER TABLE time_exception DROP INDEX time_exception_date_uq;
