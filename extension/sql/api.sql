-- The qb_* functions: each checks its input, enqueues a task, wakes the agent and returns the task id.

CREATE FUNCTION qbsync._company(company text) RETURNS qbsync.company
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company;
BEGIN
    SELECT * INTO c FROM qbsync.company co WHERE co.name = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'qbsync: company "%" does not exist', company
            USING ERRCODE = 'no_data_found',
                  HINT = 'SELECT name FROM qbsync.company lists the companies; qbsync.qb_add_company() adds one.';
    END IF;
    IF c.error IS NOT NULL THEN
        RAISE EXCEPTION 'qbsync: company "%" needs attention: %', company, c.error
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Fix the cause, then clear it: UPDATE qbsync.company SET error = NULL WHERE name = ' || quote_literal(company) || ';';
    END IF;
    RETURN c;
END
$$;

-- Resolves table names ('customer', 'qbo.customer' or 'Customer') to entity names in sync order.
-- NULL means every enabled table of the company. `purpose` 'pull' (populate, refresh) leaves out
-- outgoing-only tables and refuses one named explicitly; 'push' does the same for incoming-only.
CREATE FUNCTION qbsync._entities(c qbsync.company, tables text[], purpose text DEFAULT 'any') RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_variable
DECLARE
    t text;
    e qbsync.entity;
    dir text;
    result text[] := '{}';
    excluded text := CASE purpose WHEN 'pull' THEN 'outgoing' WHEN 'push' THEN 'incoming' END;
BEGIN
    IF tables IS NULL THEN
        SELECT coalesce(array_agg(en.name ORDER BY en.ord), '{}') INTO result
        FROM qbsync.entity en JOIN qbsync.sync_table st ON st.entity = en.name AND st.company_id = c.id
        WHERE en.company_kind = c.kind AND st.enabled AND st.direction IS DISTINCT FROM excluded;
        RETURN result;
    END IF;
    FOREACH t IN ARRAY tables LOOP
        SELECT * INTO e FROM qbsync.entity en
        WHERE lower(en.name) = lower(t) OR lower(en.table_name) = lower(t)
           OR lower(en.schema_name || '.' || en.table_name) = lower(t)
        ORDER BY (en.company_kind = c.kind) DESC
        LIMIT 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'qbsync: unknown table "%"', t
                USING ERRCODE = 'undefined_table',
                      HINT = 'SELECT schema_name, table_name FROM qbsync.entity lists the tables qbsync syncs.';
        END IF;
        IF e.company_kind <> c.kind THEN
            RAISE EXCEPTION 'qbsync: %.% is a % table; company "%" is %', e.schema_name, e.table_name,
                CASE e.company_kind WHEN 'qbo' THEN 'QuickBooks Online' ELSE 'QuickBooks Desktop' END, c.name,
                CASE c.kind WHEN 'qbo' THEN 'QuickBooks Online (qbo)' ELSE 'QuickBooks Desktop (qbd)' END
                USING ERRCODE = 'wrong_object_type';
        END IF;
        SELECT st.direction INTO dir FROM qbsync.sync_table st WHERE st.company_id = c.id AND st.entity = e.name;
        IF dir = excluded THEN
            RAISE EXCEPTION 'qbsync: %.% is %-only for company "%"; it is not %', e.schema_name, e.table_name, dir, c.name,
                CASE purpose WHEN 'pull' THEN 'read from QuickBooks' ELSE 'pushed to QuickBooks' END
                USING ERRCODE = 'check_violation',
                      HINT = format('SELECT qbsync.qb_enable_table(%L, %L, direction => ''both''); changes that.', c.name, e.table_name);
        END IF;
        IF NOT (e.name = ANY (result)) THEN
            result := result || e.name;
        END IF;
    END LOOP;
    SELECT array_agg(en.name ORDER BY en.ord) INTO result FROM qbsync.entity en WHERE en.name = ANY (result);
    RETURN result;
END
$$;

CREATE FUNCTION qbsync._enqueue(c qbsync.company, task_kind text, task_entities text[], task_params jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    task_id bigint;
BEGIN
    -- requested_by: who asked, or what on their behalf (a pg_cron job sets qbsync.requested_by).
    INSERT INTO qbsync.task (company_id, kind, entities, params, entities_total, requested_by)
    VALUES (c.id, task_kind, task_entities, task_params, cardinality(task_entities),
            coalesce(nullif(current_setting('qbsync.requested_by', true), ''), current_user))
    RETURNING id INTO task_id;
    PERFORM pg_notify('qbsync', json_build_object('task', task_id, 'company', c.id)::text);
    RETURN task_id;
END
$$;

CREATE FUNCTION qbsync.qb_add_company(
    name text,
    realm_id text,
    client_id text,
    client_secret text,
    refresh_token text,
    api_base text DEFAULT 'https://quickbooks.api.intuit.com/v3',
    token_url text DEFAULT 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
    operation_result boolean DEFAULT false
) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company;
BEGIN
    IF EXISTS (SELECT 1 FROM qbsync.company co WHERE co.name = qb_add_company.name) THEN
        RAISE EXCEPTION 'qbsync: company "%" already exists', name USING ERRCODE = 'unique_violation';
    END IF;
    IF coalesce(realm_id, '') = '' OR coalesce(refresh_token, '') = '' OR coalesce(client_id, '') = '' THEN
        RAISE EXCEPTION 'qbsync: a QuickBooks Online company needs realm_id, client_id, client_secret and refresh_token'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM qbsync._require_agent_key();
    INSERT INTO qbsync.company (name, kind, realm_id, api_base, token_url, operation_result)
    VALUES (qb_add_company.name, 'qbo', qb_add_company.realm_id, rtrim(qb_add_company.api_base, '/'),
            qb_add_company.token_url, qb_add_company.operation_result)
    RETURNING * INTO c;
    -- Sealed to the agent's key: from here on only the agent can read them.
    INSERT INTO qbsync.company_secret (company_id, client_id, client_secret_sealed, refresh_token_sealed)
    VALUES (c.id, qb_add_company.client_id, qbsync._seal(qb_add_company.client_secret),
            qbsync._seal(qb_add_company.refresh_token));
    -- Payments start incoming-only: pushing them too needs an explicit payment_match rule.
    INSERT INTO qbsync.sync_table (company_id, entity, direction)
    SELECT c.id, en.name, CASE WHEN en.is_payment THEN 'incoming' ELSE 'both' END
    FROM qbsync.entity en WHERE en.company_kind = 'qbo';
    -- The connect task checks the credentials and records the company's QuickBooks name.
    RETURN qbsync._enqueue(c, 'connect', '{}');
END
$$;
COMMENT ON FUNCTION qbsync.qb_add_company IS 'Adds a QuickBooks Online company with its OAuth2 credentials; returns the id of the task that checks them';

-- After QuickBooks refused the refresh token (invalid_grant: consent revoked, or the token lost),
-- the company is reconnected in QuickBooks and the new token stored here.
CREATE FUNCTION qbsync.qb_set_refresh_token(company text, refresh_token text) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company;
BEGIN
    SELECT * INTO c FROM qbsync.company co WHERE co.name = company FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'qbsync: company "%" does not exist', company
            USING ERRCODE = 'no_data_found',
                  HINT = 'SELECT name FROM qbsync.company lists the companies.';
    END IF;
    IF c.kind <> 'qbo' THEN
        RAISE EXCEPTION 'qbsync: company "%" is a QuickBooks Desktop company, which has no refresh token', company
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'qbsync.qb_set_qbwc_password() changes its Web Connector password.';
    END IF;
    IF coalesce(btrim(refresh_token), '') = '' THEN
        RAISE EXCEPTION 'qbsync: an empty refresh token for company "%"', company
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use the refresh token QuickBooks gave when the company was reconnected.';
    END IF;
    PERFORM qbsync._require_agent_key();
    -- The access token belongs to the old consent: drop it, so the next request uses the new one.
    UPDATE qbsync.company_secret s
    SET refresh_token_sealed = qbsync._seal(btrim(refresh_token)), refresh_token_expires_at = NULL,
        access_token_sealed = NULL, access_token_expires_at = NULL
    WHERE s.company_id = c.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'qbsync: company "%" has no stored credentials', company
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Remove it and add it again with qbsync.qb_add_company().';
    END IF;
    UPDATE qbsync.company co SET error = NULL WHERE co.id = c.id RETURNING * INTO c;
    -- Like a new company: a connect task checks the token at once (and flags it again if wrong).
    RETURN qbsync._enqueue(c, 'connect', '{}');
END
$$;
COMMENT ON FUNCTION qbsync.qb_set_refresh_token IS 'Stores, sealed, the refresh token of a QuickBooks Online company reconnected after QuickBooks refused the old one, clears the company''s error and returns the id of the task that checks it';

CREATE FUNCTION qbsync.qb_enable_table(company text, table_name text, enabled boolean DEFAULT true,
                                        direction text DEFAULT NULL, payment_match text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company := qbsync._company(company);
    ent text := (qbsync._entities(c, ARRAY[table_name]))[1];
BEGIN
    IF direction IS NOT NULL AND direction NOT IN ('incoming', 'outgoing', 'both') THEN
        RAISE EXCEPTION 'qbsync: direction must be incoming, outgoing or both, not "%"', direction
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF c.kind = 'qbd' AND qb_enable_table.direction = 'both'
       AND EXISTS (SELECT 1 FROM qbsync.entity e WHERE e.name = ent AND e.is_payment) THEN
        RAISE EXCEPTION 'qbsync: QuickBooks Desktop payments (%) cannot be synced in both directions yet: the duplicate-payment match runs for QuickBooks Online only', table_name
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Use direction => ''incoming'' (payments entered in QuickBooks) or ''outgoing'' (payments recorded by the application).';
    END IF;
    IF payment_match IS NOT NULL THEN
        IF payment_match NOT IN ('reference', 'amount_date') THEN
            RAISE EXCEPTION 'qbsync: payment_match must be reference or amount_date, not "%"', payment_match
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM qbsync.entity e WHERE e.name = ent AND e.is_payment) THEN
            RAISE EXCEPTION 'qbsync: payment_match applies to payment tables only, not %', table_name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    UPDATE qbsync.sync_table st
    SET enabled = qb_enable_table.enabled, direction = coalesce(qb_enable_table.direction, st.direction),
        payment_match = coalesce(qb_enable_table.payment_match, st.payment_match)
    WHERE st.company_id = c.id AND st.entity = ent;
END
$$;
COMMENT ON FUNCTION qbsync.qb_enable_table IS 'Turns syncing of one table on or off for a company and sets its direction (incoming, outgoing, both) and, for payments synced both ways, the payment_match rule';

CREATE FUNCTION qbsync.qb_set_conflict_policy(company text, policy text) RETURNS text
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    old text;
BEGIN
    IF policy IS NULL OR policy NOT IN ('report', 'quickbooks_wins', 'postgres_wins') THEN
        RAISE EXCEPTION 'qbsync: conflict policy must be report, quickbooks_wins or postgres_wins, not "%"', policy
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Not through _company(): a company that needs attention may still have its policy changed.
    SELECT co.conflict_policy INTO old FROM qbsync.company co WHERE co.name = company FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'qbsync: company "%" does not exist', company
            USING ERRCODE = 'no_data_found',
                  HINT = 'SELECT name FROM qbsync.company lists the companies.';
    END IF;
    UPDATE qbsync.company co SET conflict_policy = policy WHERE co.name = company;
    RETURN old;
END
$$;
COMMENT ON FUNCTION qbsync.qb_set_conflict_policy IS 'Sets what a push does when a QuickBooks user changed the record meanwhile (stale SyncToken/EditSequence): report, quickbooks_wins or postgres_wins; returns the previous policy';

CREATE FUNCTION qbsync.qb_populate(company text, tables text[] DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company := qbsync._company(company);
BEGIN
    RETURN qbsync._enqueue(c, 'populate', qbsync._entities(c, tables, 'pull'));
END
$$;
COMMENT ON FUNCTION qbsync.qb_populate IS 'Full load of the given tables (default: every enabled table) from QuickBooks; returns the task id';

CREATE FUNCTION qbsync._require_populated(c qbsync.company, ents text[]) RETURNS void
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_variable
DECLARE
    missing record;
BEGIN
    SELECT en.schema_name, en.table_name INTO missing
    FROM unnest(ents) AS u(name) JOIN qbsync.entity en ON en.name = u.name
    LEFT JOIN qbsync.history h ON h.company_id = c.id AND h.entity = u.name
    WHERE h.populated_at IS NULL
    ORDER BY en.ord LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'qbsync: %.% has never been populated for company "%"', missing.schema_name, missing.table_name, c.name
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('Run SELECT qbsync.qb_populate(%L, %L); first.', c.name, ARRAY[missing.table_name]);
    END IF;
END
$$;

CREATE FUNCTION qbsync.qb_refresh(company text, tables text[] DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company := qbsync._company(company);
    ents text[] := qbsync._entities(c, tables, 'pull');
BEGIN
    PERFORM qbsync._require_populated(c, ents);
    RETURN qbsync._enqueue(c, 'refresh', ents);
END
$$;
COMMENT ON FUNCTION qbsync.qb_refresh IS 'Incremental refresh (changes since the last sync) of tables that were populated; returns the task id';

CREATE FUNCTION qbsync.qb_update(company text, tables text[] DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company := qbsync._company(company);
BEGIN
    RETURN qbsync._enqueue(c, 'update', qbsync._entities(c, tables, 'push'));
END
$$;
COMMENT ON FUNCTION qbsync.qb_update IS 'Pushes every row with a pending operation in the given tables to QuickBooks; returns the task id';

CREATE FUNCTION qbsync.qb_update_and_refresh(company text, tables text[] DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company := qbsync._company(company);
    ents text[] := qbsync._entities(c, tables);
    pulled text[];
BEGIN
    -- Each half skips the tables whose direction excludes it; only pulled tables need a populate.
    SELECT coalesce(array_agg(st.entity), '{}') INTO pulled FROM qbsync.sync_table st
    WHERE st.company_id = c.id AND st.entity = ANY (ents) AND st.direction <> 'outgoing';
    PERFORM qbsync._require_populated(c, pulled);
    IF c.kind = 'qbd' THEN
        -- A Web Connector session runs queued tasks in order: the push, then the refresh.
        PERFORM qbsync._enqueue(c, 'update', ents);
        RETURN qbsync._enqueue(c, 'refresh', pulled);
    END IF;
    RETURN qbsync._enqueue(c, 'update_and_refresh', ents);
END
$$;
COMMENT ON FUNCTION qbsync.qb_update_and_refresh IS 'Pushes pending rows, then refreshes the same tables from QuickBooks; returns the task id (for a QuickBooks Desktop company: an update task and a refresh task are queued, and the refresh task id is returned)';

CREATE FUNCTION qbsync.qb_stop(task bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    t qbsync.task;
BEGIN
    SELECT * INTO t FROM qbsync.task tk WHERE tk.id = task FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'qbsync: task % does not exist', task USING ERRCODE = 'no_data_found';
    END IF;
    IF t.status = 'queued' THEN
        UPDATE qbsync.task SET status = 'stopped', stop_requested = true, finished_at = now(),
               error = 'stopped by ' || current_user || ' before it started'
        WHERE qbsync.task.id = t.id;
    ELSIF t.status = 'running' THEN
        UPDATE qbsync.task SET stop_requested = true WHERE qbsync.task.id = t.id;
        PERFORM pg_notify('qbsync', json_build_object('stop', task, 'company', t.company_id)::text);
    ELSE
        RAISE EXCEPTION 'qbsync: task % has already finished (%)', task, t.status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN task;
END
$$;
COMMENT ON FUNCTION qbsync.qb_stop IS 'Stops a task: a queued one at once, a running one at its next entity boundary (never mid-record)';


CREATE VIEW qbsync.messages AS
SELECT sr.at, c.name AS company, sr.task_id, en.schema_name || '.' || en.table_name AS table_name, sr.entity,
       sr.local_id, sr.qb_id, sr.direction, sr.operation, sr.code, sr.message
FROM qbsync.sync_result sr
JOIN qbsync.company c ON c.id = sr.company_id
LEFT JOIN qbsync.entity en ON en.name = sr.entity
WHERE sr.outcome = 'error'
UNION ALL
SELECT c.error_at, c.name, NULL, NULL, NULL, NULL, NULL, NULL, 'connect', 'company', c.error
FROM qbsync.company c WHERE c.error IS NOT NULL
UNION ALL
SELECT t.finished_at, c.name, t.id, NULL, t.current_entity, NULL, NULL, NULL, t.kind, 'task', t.error
FROM qbsync.task t JOIN qbsync.company c ON c.id = t.company_id
WHERE t.status = 'failed';
COMMENT ON VIEW qbsync.messages IS 'What did not sync and why: row-level errors with the QuickBooks code, company errors and failed tasks';
