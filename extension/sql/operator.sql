-- The operator's views over qbsync.sync_result, and the retention that keeps the log bounded.

CREATE VIEW qbsync.status AS
SELECT
    c.name AS company,
    c.kind,
    CASE
        WHEN c.error IS NOT NULL THEN 'Needs attention: ' || c.error
        WHEN r.id IS NOT NULL THEN format('Running %s %s %s of %s', r.kind, coalesce(r.current_entity, ''),
                                          least(r.entities_done + 1, r.entities_total), r.entities_total)
        WHEN l.id IS NULL THEN 'Ready'
        ELSE format('Last sync %s (%s)', to_char(l.finished_at, 'YYYY-MM-DD HH24:MI:SS TZ'), l.status)
             || coalesce(', next ' || to_char(qbsync._next_scheduled(c.id), 'YYYY-MM-DD HH24:MI:SS TZ'), '')
    END AS state,
    CASE
        WHEN c.error IS NOT NULL THEN 'red'
        WHEN r.id IS NOT NULL AND r.errors > 0 THEN 'orange'
        WHEN r.id IS NULL AND l.id IS NOT NULL AND (l.errors > 0 OR l.status = 'failed') THEN 'red'
        ELSE 'blue'
    END AS flag,
    coalesce(r.errors, l.errors, 0) AS errors,
    (SELECT count(*) FROM qbsync.sync_result sr
      WHERE sr.company_id = c.id AND sr.outcome = 'error' AND sr.at > now() - interval '1 day') AS errors_last_day,
    coalesce(r.id, l.id) AS task_id,
    coalesce(r.requested_by, l.requested_by) AS requested_by,
    l.finished_at AS last_sync_at,
    c.error AS company_error,
    qbsync._next_scheduled(c.id) AS next_sync_at
FROM qbsync.company c
LEFT JOIN LATERAL (SELECT * FROM qbsync.task t WHERE t.company_id = c.id AND t.status = 'running'
                   ORDER BY t.id DESC LIMIT 1) r ON true
LEFT JOIN LATERAL (SELECT * FROM qbsync.task t WHERE t.company_id = c.id AND t.status IN ('done', 'failed', 'stopped')
                   ORDER BY t.finished_at DESC NULLS LAST, t.id DESC LIMIT 1) l ON true;
COMMENT ON VIEW qbsync.status IS 'One row per company: what it is doing, a flag (blue ok, orange running with errors, red needs attention), error counts, who started the last task, the last and the next scheduled sync';

CREATE VIEW qbsync.recent_activity AS
SELECT sr.at, c.name AS company, sr.entity, en.schema_name || '.' || en.table_name AS table_name,
       sr.local_id, sr.qb_id, sr.direction,
       CASE sr.operation
           WHEN 'add' THEN 'added' WHEN 'update' THEN 'updated' WHEN 'void' THEN 'voided'
           WHEN 'delete' THEN 'deleted' WHEN 'deactivate' THEN 'deactivated' WHEN 'refresh' THEN 'refreshed'
           WHEN 'insert' THEN 'added' WHEN 'link' THEN 'linked' WHEN 'unlink' THEN 'unlinked'
           ELSE sr.operation
       END AS what,
       sr.message, sr.task_id
FROM qbsync.sync_result sr
JOIN qbsync.company c ON c.id = sr.company_id
LEFT JOIN qbsync.entity en ON en.name = sr.entity
WHERE sr.outcome = 'ok';
COMMENT ON VIEW qbsync.recent_activity IS 'Each record as it synced (added, updated, voided, deleted, refreshed, linked, ...) with its direction; newest first with ORDER BY at DESC';

CREATE VIEW qbsync.sync_results AS
SELECT sr.at AS date, c.name AS company, sr.entity AS entity_type, sr.local_id AS local_key, sr.qb_id AS quickbooks_id,
       sr.direction, sr.outcome,
       concat_ws(': ', sr.operation || CASE WHEN sr.code IS NOT NULL THEN ' [' || sr.code || ']' ELSE '' END, sr.message) AS details,
       CASE WHEN last_link.operation = 'unlink' THEN 'unlinked' ELSE 'linked' END AS link_status,
       sr.id AS result_id, sr.task_id
FROM qbsync.sync_result sr
JOIN qbsync.company c ON c.id = sr.company_id
LEFT JOIN LATERAL (
    SELECT l.operation FROM qbsync.sync_result l
    WHERE l.company_id = sr.company_id AND l.entity = sr.entity AND l.local_id = sr.local_id
      AND l.operation IN ('link', 'unlink')
    ORDER BY l.id DESC LIMIT 1) last_link ON sr.local_id IS NOT NULL;
COMMENT ON VIEW qbsync.sync_results IS 'The sync results page: date, entity type, local key, QuickBooks Id, direction (outgoing = Postgres to QuickBooks, incoming = QuickBooks to Postgres), details and link status';

CREATE INDEX sync_result_link_events ON qbsync.sync_result (company_id, entity, local_id, id DESC)
    WHERE operation IN ('link', 'unlink');

-- Keeps the log bounded: results and finished tasks older than `keep` go (with the report runs
-- of those tasks when `reports` is true). Returns what was removed.
CREATE FUNCTION qbsync.qb_prune(keep interval DEFAULT '90 days', reports boolean DEFAULT false,
                                OUT results_removed bigint, OUT tasks_removed bigint, OUT report_runs_removed bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
BEGIN
    IF keep IS NULL OR keep < interval '1 hour' THEN
        RAISE EXCEPTION 'qbsync: keep at least one hour of history, not %', keep USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM qbsync.sync_result sr WHERE sr.at < now() - keep;
    GET DIAGNOSTICS results_removed = ROW_COUNT;
    report_runs_removed := 0;
    IF reports THEN
        DELETE FROM qbsync.report_run rr WHERE rr.fetched_at < now() - keep;
        GET DIAGNOSTICS report_runs_removed = ROW_COUNT;
    END IF;
    -- A task still running, or queued, is never removed; report runs keep their rows (task_id NULL).
    DELETE FROM qbsync.task t WHERE t.status IN ('done', 'failed', 'stopped') AND t.finished_at < now() - keep;
    GET DIAGNOSTICS tasks_removed = ROW_COUNT;
END
$$;
COMMENT ON FUNCTION qbsync.qb_prune IS 'Retention: removes sync results and finished tasks older than keep (and report runs when reports is true); schedule it, e.g. daily';
