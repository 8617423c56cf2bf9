-- Linking local rows to QuickBooks records: by hand (qb_link, qb_unlink) or by matching a key
-- (qb_match). Sure matches are linked; the others are listed for a person to decide, and until
-- then the trigger refuses to add those rows, so nothing is duplicated silently.

CREATE TABLE qbsync.link_candidate (
    company_id bigint NOT NULL REFERENCES qbsync.company(id) ON DELETE CASCADE,
    entity text NOT NULL REFERENCES qbsync.entity(name),
    local_id bigint NOT NULL,
    qb_id text NOT NULL,
    match_key text NOT NULL,
    status text NOT NULL CHECK (status IN ('sure', 'candidate', 'ambiguous', 'linked')),
    local_value text,
    qb_value text,
    found_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, entity, local_id, qb_id)
);
COMMENT ON TABLE qbsync.link_candidate IS 'Matches found by qb_match between local rows (no QuickBooks Id yet) and QuickBooks records';
COMMENT ON COLUMN qbsync.link_candidate.status IS 'sure: one to one on equal values; candidate: one to one on normalised values only; ambiguous: several either way; linked: done';
SELECT pg_catalog.pg_extension_config_dump('qbsync.link_candidate', '');

-- "Brown, Nick" and "Nick Brown" both become "nick brown".
CREATE FUNCTION qbsync.normalize_name(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT nullif(btrim(regexp_replace(lower(
        CASE WHEN position(',' IN name) > 0 THEN split_part(name, ',', 2) || ' ' || split_part(name, ',', 1) ELSE name END),
        '[^a-z0-9]+', ' ', 'g')), '')
$$;
COMMENT ON FUNCTION qbsync.normalize_name IS 'Name for matching: lower case, punctuation dropped, "Last, First" turned into "First Last"';

CREATE FUNCTION qbsync._entity_of(table_name text) RETURNS qbsync.entity
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_variable
DECLARE
    e qbsync.entity;
BEGIN
    SELECT * INTO e FROM qbsync.entity en
    WHERE lower(en.schema_name || '.' || en.table_name) = lower(table_name) OR lower(en.table_name) = lower(table_name)
    ORDER BY en.ord LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'qbsync: unknown table "%"', table_name
            USING ERRCODE = 'undefined_table', HINT = 'SELECT schema_name, table_name FROM qbsync.entity lists them.';
    END IF;
    IF e.company_kind = 'qbd' THEN
        RAISE EXCEPTION 'qbsync: %.%: linking and matching work on QuickBooks Online tables only so far', e.schema_name, e.table_name
            USING ERRCODE = 'feature_not_supported', HINT = 'See docs/desktop.md for what works with QuickBooks Desktop.';
    END IF;
    RETURN e;
END
$$;

CREATE FUNCTION qbsync.qb_link(table_name text, local_id bigint, qb_id text) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    e qbsync.entity := qbsync._entity_of(table_name);
    tbl text := format('%I.%I', e.schema_name, e.table_name);
    r record;
    copy record;
BEGIN
    EXECUTE format('SELECT company_id, id, linked FROM %s WHERE local_id = $1 FOR UPDATE', tbl) INTO r USING local_id;
    IF r.company_id IS NULL THEN
        RAISE EXCEPTION 'qbsync: %: no row with local_id %', tbl, local_id USING ERRCODE = 'no_data_found';
    END IF;
    IF r.id IS NOT NULL AND r.id <> qb_id AND r.linked THEN
        RAISE EXCEPTION 'qbsync: %: row local_id=% is already linked to QuickBooks Id %', tbl, local_id, r.id
            USING ERRCODE = 'check_violation', HINT = format('Unlink it first: SELECT qbsync.qb_unlink(%L, %s);', tbl, local_id);
    END IF;
    -- The copy of that record that populate or refresh brought in gives way to the local row.
    EXECUTE format('SELECT local_id, sync_status FROM %s WHERE company_id = $1 AND id = $2 AND local_id <> $3 FOR UPDATE', tbl)
        INTO copy USING r.company_id, qb_id, local_id;
    IF copy.local_id IS NOT NULL THEN
        IF copy.sync_status IN ('pending', 'sending', 'error') OR EXISTS (
            SELECT 1 FROM qbsync.sync_result sr WHERE sr.company_id = r.company_id AND sr.entity = e.name
              AND sr.local_id = copy.local_id AND sr.direction = 'outgoing' AND sr.operation = 'add' AND sr.outcome = 'ok') THEN
            RAISE EXCEPTION 'qbsync: %: QuickBooks Id % belongs to row local_id=%, which is not just a copy brought in from QuickBooks', tbl, qb_id, copy.local_id
                USING ERRCODE = 'check_violation', HINT = 'Unlink or delete that row first if it is the duplicate.';
        END IF;
        EXECUTE format('DELETE FROM %s WHERE local_id = $1', tbl) USING copy.local_id;
    END IF;
    EXECUTE format('UPDATE %s SET id = $2, linked = true, request_id = NULL, sync_status = NULL, operation = NULL WHERE local_id = $1', tbl)
        USING local_id, qb_id;
    -- Take QuickBooks' version of the record now that the row stands for it.
    EXECUTE format('UPDATE %s SET operation = ''refresh'' WHERE local_id = $1', tbl) USING local_id;
    UPDATE qbsync.link_candidate lc SET status = 'linked'
    WHERE lc.company_id = r.company_id AND lc.entity = e.name AND lc.local_id = local_id AND lc.qb_id = qb_id;
    DELETE FROM qbsync.link_candidate lc
    WHERE lc.company_id = r.company_id AND lc.entity = e.name AND lc.status <> 'linked'
      AND (lc.local_id = local_id OR lc.qb_id = qb_id);
    INSERT INTO qbsync.sync_result (company_id, entity, local_id, qb_id, direction, operation, outcome, message)
    VALUES (r.company_id, e.name, local_id, qb_id, 'incoming', 'link', 'ok', 'linked by ' || current_user);
    RETURN local_id;
END
$$;
COMMENT ON FUNCTION qbsync.qb_link IS 'Links a local row to an existing QuickBooks record (its copy from populate gives way) and re-reads the record';

CREATE FUNCTION qbsync.qb_unlink(table_name text, local_id bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    e qbsync.entity := qbsync._entity_of(table_name);
    tbl text := format('%I.%I', e.schema_name, e.table_name);
    r record;
    dep record;
    n bigint;
    total bigint := 0;
    report text[] := '{}';
BEGIN
    EXECUTE format('SELECT company_id, id FROM %s WHERE local_id = $1 FOR UPDATE', tbl) INTO r USING local_id;
    IF r.company_id IS NULL THEN
        RAISE EXCEPTION 'qbsync: %: no row with local_id %', tbl, local_id USING ERRCODE = 'no_data_found';
    END IF;
    EXECUTE format('UPDATE %s SET linked = false, operation = NULL, sync_status = NULL, request_id = NULL, sync_message = $2 WHERE local_id = $1', tbl)
        USING local_id, 'unlinked by ' || current_user || ' at ' || now()::timestamptz(0);
    -- Records that refer to this one (an unlinked customer's invoices) keep syncing: say which.
    IF r.id IS NOT NULL THEN
        FOR dep IN SELECT c.table_schema, c.table_name FROM information_schema.columns c
                   WHERE c.table_schema = e.schema_name AND c.column_name = e.table_name || '_ref'
                   ORDER BY c.table_name LOOP
            EXECUTE format('SELECT count(*) FROM %I.%I WHERE company_id = $1 AND %I = $2', dep.table_schema, dep.table_name, e.table_name || '_ref')
                INTO n USING r.company_id, r.id;
            IF n > 0 THEN
                total := total + n;
                report := report || format('%s.%s: %s', dep.table_schema, dep.table_name, n);
            END IF;
        END LOOP;
    END IF;
    INSERT INTO qbsync.sync_result (company_id, entity, local_id, qb_id, direction, operation, outcome, message)
    VALUES (r.company_id, e.name, local_id, r.id, 'incoming', 'unlink', 'ok',
            CASE WHEN total > 0 THEN format('%s rows still refer to it: %s', total, array_to_string(report, ', ')) END);
    IF total > 0 THEN
        RAISE NOTICE 'qbsync: %: row local_id=% (QuickBooks Id %) is unlinked; % rows still refer to it: %',
            tbl, local_id, r.id, total, array_to_string(report, ', ');
    END IF;
    RETURN total;
END
$$;
COMMENT ON FUNCTION qbsync.qb_unlink IS 'Leaves a row out of every sync; returns (and reports) how many rows still refer to it';

CREATE FUNCTION qbsync.qb_match(company text, table_name text, match_key text DEFAULT 'name', link boolean DEFAULT true)
RETURNS TABLE (local_id bigint, qb_id text, status text, local_value text, qb_value text)
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company := qbsync._company(company);
    e qbsync.entity := qbsync._entity_of(table_name);
    tbl text := format('%I.%I', e.schema_name, e.table_name);
    col text;
    expr text;
    m record;
BEGIN
    col := CASE match_key WHEN 'name' THEN e.natural_key_column WHEN 'normalized_name' THEN e.natural_key_column
                          WHEN 'email' THEN 'email' WHEN 'doc_number' THEN 'doc_number' END;
    IF col IS NULL OR NOT EXISTS (SELECT 1 FROM information_schema.columns ic
                                  WHERE ic.table_schema = e.schema_name AND ic.table_name = e.table_name AND ic.column_name = col) THEN
        RAISE EXCEPTION 'qbsync: % cannot be matched by "%"', tbl, match_key
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Keys: name, normalized_name (natural key ' || coalesce(e.natural_key, 'none') || '), email, doc_number, where the table has them.';
    END IF;
    expr := CASE match_key WHEN 'normalized_name' THEN format('qbsync.normalize_name(%I)', col)
                           WHEN 'email' THEN format('lower(btrim(%I))', col) ELSE format('%I', col) END;
    DELETE FROM qbsync.link_candidate lc WHERE lc.company_id = c.id AND lc.entity = e.name AND lc.status <> 'linked';
    EXECUTE format($q$
        INSERT INTO qbsync.link_candidate (company_id, entity, local_id, qb_id, match_key, status, local_value, qb_value)
        WITH l AS (SELECT local_id, %2$s AS k, %3$I AS v FROM %1$s WHERE company_id = $1 AND id IS NULL AND linked AND operation IS NULL),
             q AS (SELECT id, %2$s AS k, %3$I AS v FROM %1$s WHERE company_id = $1 AND id IS NOT NULL AND linked),
             p AS (SELECT l.local_id, q.id, l.v AS lv, q.v AS qv,
                          count(*) OVER (PARTITION BY l.local_id) AS per_local, count(*) OVER (PARTITION BY q.id) AS per_qb
                   FROM l JOIN q ON l.k = q.k WHERE l.k IS NOT NULL)
        SELECT $1, $2, local_id, id, $3,
               CASE WHEN per_local > 1 OR per_qb > 1 THEN 'ambiguous' WHEN lv IS DISTINCT FROM qv THEN 'candidate' ELSE 'sure' END,
               lv, qv
        FROM p $q$, tbl, expr, col)
        USING c.id, e.name, match_key;
    IF link THEN
        FOR m IN SELECT lc.local_id, lc.qb_id FROM qbsync.link_candidate lc
                 WHERE lc.company_id = c.id AND lc.entity = e.name AND lc.status = 'sure' LOOP
            PERFORM qbsync.qb_link(tbl, m.local_id, m.qb_id);
        END LOOP;
    END IF;
    RETURN QUERY SELECT lc.local_id, lc.qb_id, lc.status, lc.local_value, lc.qb_value FROM qbsync.link_candidate lc
                 WHERE lc.company_id = c.id AND lc.entity = e.name ORDER BY lc.status, lc.local_id;
END
$$;
COMMENT ON FUNCTION qbsync.qb_match IS 'Matches local rows without a QuickBooks Id to QuickBooks records by a key (name, normalized_name, email, doc_number); links the sure matches and lists the rest in qbsync.link_candidate';
