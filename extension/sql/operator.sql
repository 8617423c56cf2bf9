-- The operator's views over qbsync.sync_result, and the retention that keeps the log bounded.

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
