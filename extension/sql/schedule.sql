-- Scheduling with pg_cron: qb_schedule creates (or changes) one pg_cron job per company and kind,
-- recorded in qbsync.schedule so that qbsync.status can say when the next scheduled sync is.
-- pg_cron lives in one database per cluster (cron.database_name); qbsync schedules jobs only
-- there, where cron.schedule runs the job in the same database.

CREATE FUNCTION qbsync.cron_next(schedule text, after timestamptz DEFAULT now()) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT to_timestamp(qbsync._cron_next_epoch(schedule, extract(epoch FROM after)::double precision))
$$;
COMMENT ON FUNCTION qbsync.cron_next IS 'The first time after `after` that a cron schedule fires (UTC, as pg_cron 1.4 evaluates it); NULL for what is not a cron expression';

CREATE TABLE qbsync.schedule (
    company_id bigint NOT NULL REFERENCES qbsync.company(id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('populate', 'refresh', 'update', 'update_and_refresh')),
    schedule text NOT NULL,
    tables text[],
    job_name text NOT NULL UNIQUE,
    job_id bigint NOT NULL,
    created_by text NOT NULL DEFAULT current_user,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, kind)
);
COMMENT ON TABLE qbsync.schedule IS 'The pg_cron jobs qb_schedule created: one per company and kind';

CREATE FUNCTION qbsync._require_pg_cron() RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF to_regclass('cron.job') IS NULL THEN
        RAISE EXCEPTION 'qbsync: pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'feature_not_supported',
                  HINT = format('pg_cron must be in shared_preload_libraries, its cron.database_name must name this database (now: %s), '
                                'and CREATE EXTENSION pg_cron must have been run here; scripts/setup.sh shows how',
                                coalesce(current_setting('cron.database_name', true), 'not set: pg_cron is not loaded'));
    END IF;
END
$$;

-- What a job runs: the task is marked as requested by pg_cron, and a task of the same kind that is
-- still queued is not queued a second time (a slow refresh must not pile up behind itself).
CREATE FUNCTION qbsync._run_schedule(company text, kind text, tables text[] DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company := qbsync._company(company);
    queued bigint;
BEGIN
    SELECT t.id INTO queued FROM qbsync.task t
    WHERE t.company_id = c.id AND t.kind = kind AND t.status = 'queued' ORDER BY t.id LIMIT 1;
    IF queued IS NOT NULL THEN
        RAISE NOTICE 'qbsync: % of "%" is already queued as task %; not queued again', kind, company, queued;
        RETURN queued;
    END IF;
    PERFORM set_config('qbsync.requested_by', format('pg_cron (%s)', current_user), true);
    RETURN CASE kind
        WHEN 'populate' THEN qbsync.qb_populate(company, tables)
        WHEN 'refresh' THEN qbsync.qb_refresh(company, tables)
        WHEN 'update' THEN qbsync.qb_update(company, tables)
        WHEN 'update_and_refresh' THEN qbsync.qb_update_and_refresh(company, tables)
    END;
END
$$;

CREATE TYPE qbsync.scheduled_job AS (
    company text, kind text, schedule text, tables text[], job_name text, job_id bigint, active boolean,
    next_run_at timestamptz, last_run_at timestamptz, last_status text, last_message text);

CREATE FUNCTION qbsync.qb_schedules(company text DEFAULT NULL) RETURNS SETOF qbsync.scheduled_job
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_variable
BEGIN
    -- Not to_regclass('cron.job'): that needs rights on schema cron, which callers may not have.
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname = 'pg_cron') THEN
        RETURN QUERY
        SELECT c.name, s.kind, s.schedule, s.tables, s.job_name, s.job_id, NULL::boolean,
               NULL::timestamptz, NULL::timestamptz, 'pg_cron is not installed here'::text, NULL::text
        FROM qbsync.schedule s JOIN qbsync.company c ON c.id = s.company_id
        WHERE company IS NULL OR c.name = company
        ORDER BY c.name, s.kind;
        RETURN;
    END IF;
    -- pg_cron's tables are read through qbsync._cron_jobs, for roles that cannot read them.
    RETURN QUERY
    SELECT c.name, s.kind, j.schedule, s.tables, s.job_name, s.job_id, j.active,
           CASE WHEN j.active THEN qbsync.cron_next(j.schedule) END,
           j.start_time, j.status, j.return_message
    FROM qbsync.schedule s
    JOIN qbsync.company c ON c.id = s.company_id
    LEFT JOIN qbsync._cron_jobs(ARRAY(SELECT sc.job_id FROM qbsync.schedule sc)) j ON j.job_id = s.job_id
    WHERE company IS NULL OR c.name = company
    ORDER BY c.name, s.kind;
END
$$;
COMMENT ON FUNCTION qbsync.qb_schedules IS 'The scheduled jobs (all, or one company''s): cron schedule, whether active, next run, and the last run''s status and message from pg_cron';

CREATE FUNCTION qbsync.qb_schedule(company text, kind text DEFAULT 'refresh', schedule text DEFAULT '0 */2 * * *',
                                   tables text[] DEFAULT NULL)
RETURNS SETOF qbsync.scheduled_job
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company := qbsync._company(company);
    name text := format('qbsync %s %s', c.name, kind);
    command text;
    job bigint;
BEGIN
    PERFORM qbsync._require_pg_cron();
    IF kind IS NULL OR kind NOT IN ('populate', 'refresh', 'update', 'update_and_refresh') THEN
        RAISE EXCEPTION 'qbsync: cannot schedule "%"', kind USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Schedule populate, refresh, update or update_and_refresh';
    END IF;
    IF schedule IS NULL OR qbsync.cron_next(schedule) IS NULL THEN
        RAISE EXCEPTION 'qbsync: "%" is not a cron schedule', schedule USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Five fields: minute hour day-of-month month day-of-week, in UTC, e.g. ''0 */2 * * *'' for every two hours';
    END IF;
    -- Refused now rather than at the first run: tables that do not exist or do not sync that way.
    PERFORM qbsync._entities(c, tables, CASE WHEN kind = 'update' THEN 'push' WHEN kind = 'update_and_refresh' THEN 'any' ELSE 'pull' END);
    command := format('SELECT qbsync._run_schedule(%L, %L%s)', c.name, kind,
                      CASE WHEN tables IS NULL THEN '' ELSE format(', %L::text[]', tables) END);
    -- cron.schedule with a job name replaces that job's schedule and command: calling again changes it.
    job := cron.schedule(name, schedule, command);
    INSERT INTO qbsync.schedule AS s (company_id, kind, schedule, tables, job_name, job_id)
    VALUES (c.id, kind, schedule, tables, name, job)
    ON CONFLICT ON CONSTRAINT schedule_pkey DO UPDATE
        SET schedule = EXCLUDED.schedule, tables = EXCLUDED.tables, job_name = EXCLUDED.job_name,
            job_id = EXCLUDED.job_id, created_by = current_user, created_at = now();
    RETURN QUERY SELECT * FROM qbsync.qb_schedules(c.name);
END
$$;
COMMENT ON FUNCTION qbsync.qb_schedule IS 'Schedules populate, refresh (default: every two hours), update or update_and_refresh of a company with pg_cron (UTC); calling again changes the schedule; returns the company''s jobs';

CREATE FUNCTION qbsync.qb_unschedule(company text, kind text DEFAULT 'refresh') RETURNS boolean
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company := qbsync._company(company);
    s qbsync.schedule;
BEGIN
    DELETE FROM qbsync.schedule sc WHERE sc.company_id = c.id AND sc.kind = kind RETURNING * INTO s;
    RETURN s.job_id IS NOT NULL;
END
$$;
COMMENT ON FUNCTION qbsync.qb_unschedule IS 'Removes the pg_cron job of a company and kind; false when there was none';

-- A removed schedule (qb_unschedule, or its company deleted) takes its pg_cron job with it, so
-- no job keeps failing on a company that is gone.
CREATE FUNCTION qbsync._unschedule_job() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('cron.job') IS NOT NULL
       AND EXISTS (SELECT 1 FROM cron.job j WHERE j.jobid = OLD.job_id) THEN
        PERFORM cron.unschedule(OLD.job_id);
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER schedule_unschedule_job AFTER DELETE ON qbsync.schedule
    FOR EACH ROW EXECUTE FUNCTION qbsync._unschedule_job();

-- The next time any active job of the company fires.
-- `who` defaults to the caller (evaluated by the caller): a company that role may not see has no
-- answer, although the function itself (SECURITY DEFINER) sees every schedule.
CREATE FUNCTION qbsync._next_scheduled(company_id bigint, who name DEFAULT current_user) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_variable
DECLARE
    next_at timestamptz;
BEGIN
    IF to_regclass('cron.job') IS NULL OR NOT company_id = ANY (qbsync._visible_companies(who)) THEN
        RETURN NULL;
    END IF;
    SELECT min(qbsync.cron_next(j.schedule)) INTO next_at
    FROM qbsync.schedule s JOIN cron.job j ON j.jobid = s.job_id
    WHERE s.company_id = company_id AND j.active;
    RETURN next_at;
END
$$;
