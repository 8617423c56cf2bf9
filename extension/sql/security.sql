-- Security: the four group roles and what each may do, the agent's key that secrets are sealed
-- to, row-level security limiting a role to its companies, and a fixed search_path on every
-- SECURITY DEFINER function. The grants and policies themselves are applied by qbsync._secure()
-- at the end of CREATE EXTENSION, once the mirror tables exist.

-- Roles are cluster-wide: created when missing, never dropped (other databases may use them).
DO $$
DECLARE
    r text;
BEGIN
    -- Another database may be creating them at the same moment: losing that race is fine.
    FOREACH r IN ARRAY ARRAY['qbsync_reader', 'qbsync_writer', 'qbsync_admin', 'qbsync_agent'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END;
        END IF;
    END LOOP;
    -- Each level has what the one below has.
    BEGIN
        IF NOT pg_catalog.pg_has_role('qbsync_writer', 'qbsync_reader', 'MEMBER') THEN
            GRANT qbsync_reader TO qbsync_writer;
        END IF;
        IF NOT pg_catalog.pg_has_role('qbsync_admin', 'qbsync_writer', 'MEMBER') THEN
            GRANT qbsync_writer TO qbsync_admin;
        END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
END
$$;
COMMENT ON ROLE qbsync_reader IS 'qbsync: reads mirror tables, views and the catalogue (never secrets)';
COMMENT ON ROLE qbsync_writer IS 'qbsync: reader, plus edits mirror rows (sets operation) and runs populate, refresh, update, reports and linking';
COMMENT ON ROLE qbsync_admin IS 'qbsync: writer, plus companies, their tables and directions, schedules, retention and role limits';
COMMENT ON ROLE qbsync_agent IS 'qbsync: what qbsync-agent needs, secrets included (grant it to the agent''s login role only)';

-- The public half of the agent's key pair. Secrets are sealed to it; the secret half stays with
-- the agent (qbsync-agent keygen), so nothing in this database can open them.
CREATE TABLE qbsync.agent_key (
    only_one boolean PRIMARY KEY DEFAULT true CHECK (only_one),
    public_key text NOT NULL,
    fingerprint text NOT NULL,
    set_at timestamptz NOT NULL DEFAULT now(),
    set_by text NOT NULL DEFAULT current_user
);
COMMENT ON TABLE qbsync.agent_key IS 'The agent''s public key (base64, X25519) that company secrets are sealed to; one row, set with qbsync.qb_set_agent_key()';
COMMENT ON COLUMN qbsync.agent_key.fingerprint IS 'SHA256: and the first 16 hex digits of the SHA-256 of the key, as qbsync-agent prints it';
REVOKE ALL ON qbsync.agent_key FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('qbsync.agent_key', '');

CREATE FUNCTION qbsync._key_fingerprint(public_key text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT 'SHA256:' || left(encode(sha256(decode(public_key, 'base64')), 'hex'), 16)
$$;

CREATE FUNCTION qbsync._require_agent_key() RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM qbsync.agent_key) THEN
        RAISE EXCEPTION 'qbsync: no agent key is registered, so secrets cannot be stored'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Make one where the agent runs: qbsync-agent keygen --output /etc/qbsync/agent.key, then run the SELECT qbsync.qb_set_agent_key(''...''); it prints.';
    END IF;
END
$$;

CREATE FUNCTION qbsync.qb_set_agent_key(public_key text, replace boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    raw bytea;
    current qbsync.agent_key;
BEGIN
    BEGIN
        raw := decode(btrim(public_key), 'base64');
    EXCEPTION WHEN invalid_parameter_value THEN
        raw := NULL;
    END;
    IF raw IS NULL OR length(raw) <> 32 THEN
        RAISE EXCEPTION 'qbsync: "%" is not an agent public key (32 bytes of base64)', public_key
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use the key qbsync-agent keygen prints.';
    END IF;
    SELECT * INTO current FROM qbsync.agent_key FOR UPDATE;
    IF FOUND AND current.public_key <> btrim(public_key) AND NOT replace
       AND EXISTS (SELECT 1 FROM qbsync.company_secret) THEN
        RAISE EXCEPTION 'qbsync: stored secrets are sealed to agent key %; replacing it would make them unreadable', current.fingerprint
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Re-seal them to the new key with qbsync-agent rekey --old-key-file ... --new-key-file ..., which also registers it.';
    END IF;
    INSERT INTO qbsync.agent_key AS k (public_key, fingerprint) VALUES (btrim(public_key), qbsync._key_fingerprint(btrim(public_key)))
    ON CONFLICT (only_one) DO UPDATE SET public_key = EXCLUDED.public_key, fingerprint = EXCLUDED.fingerprint,
                                          set_at = now(), set_by = current_user;
    RETURN qbsync._key_fingerprint(btrim(public_key));
END
$$;
COMMENT ON FUNCTION qbsync.qb_set_agent_key IS 'Registers the agent''s public key (from qbsync-agent keygen) that company secrets are sealed to; returns its fingerprint. Refuses to replace a key that sealed stored secrets unless replace => true (use qbsync-agent rekey instead)';

-- Row-level security: a role with rows here sees only those companies (through membership too);
-- a role with none sees every company.
CREATE TABLE qbsync.company_access (
    role_name name NOT NULL,
    company_id bigint NOT NULL REFERENCES qbsync.company(id) ON DELETE CASCADE,
    PRIMARY KEY (role_name, company_id)
);
COMMENT ON TABLE qbsync.company_access IS 'Limits roles to companies: a role with rows here (directly or through a role it is a member of) sees only those companies; set with qbsync.qb_limit_role()';
REVOKE ALL ON qbsync.company_access FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('qbsync.company_access', '');

-- The companies `who` may see, for the policies. The default argument is evaluated by the caller,
-- so the policies pass the querying role. SECURITY DEFINER: it reads company_access and every
-- company, which the querying role may not. A caller can only ask about a role its login could
-- SET ROLE to (session_user a member of it): for any other role the answer is no company, so
-- nobody learns another role's companies.
CREATE FUNCTION qbsync._visible_companies(who name DEFAULT current_user) RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, qbsync, pg_temp AS $$
    SELECT CASE WHEN NOT pg_catalog.pg_has_role(session_user, who, 'MEMBER') THEN '{}'::bigint[] ELSE (
    WITH limits AS (
        SELECT a.company_id FROM qbsync.company_access a JOIN pg_catalog.pg_roles r ON r.rolname = a.role_name
        WHERE pg_catalog.pg_has_role(who, r.oid, 'MEMBER'))
    SELECT CASE
        WHEN pg_catalog.pg_has_role(who, 'qbsync_agent', 'MEMBER') OR pg_catalog.pg_has_role(who, 'qbsync_admin', 'MEMBER')
             OR NOT EXISTS (SELECT 1 FROM limits)
        THEN (SELECT coalesce(array_agg(c.id), '{}') FROM qbsync.company c)
        ELSE (SELECT coalesce(array_agg(DISTINCT l.company_id), '{}') FROM limits l)
    END) END
$$;
COMMENT ON FUNCTION qbsync._visible_companies IS 'Ids of the companies a role may see under row-level security (all, unless qbsync.company_access limits it)';

CREATE FUNCTION qbsync.qb_limit_role(role name, companies text[]) RETURNS bigint[]
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    unknown text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = role) THEN
        RAISE EXCEPTION 'qbsync: role "%" does not exist', role USING ERRCODE = 'undefined_object';
    END IF;
    IF role IN ('qbsync_admin', 'qbsync_agent') THEN
        RAISE EXCEPTION 'qbsync: % always sees every company', role USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT u.name INTO unknown FROM unnest(companies) AS u(name)
    WHERE NOT EXISTS (SELECT 1 FROM qbsync.company c WHERE c.name = u.name) LIMIT 1;
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'qbsync: company "%" does not exist', unknown USING ERRCODE = 'no_data_found';
    END IF;
    DELETE FROM qbsync.company_access a WHERE a.role_name = role;
    INSERT INTO qbsync.company_access (role_name, company_id)
    SELECT role, c.id FROM qbsync.company c WHERE c.name = ANY (companies);
    RETURN (SELECT coalesce(array_agg(a.company_id ORDER BY a.company_id), '{}') FROM qbsync.company_access a WHERE a.role_name = role);
END
$$;
COMMENT ON FUNCTION qbsync.qb_limit_role IS 'Limits a role (and its members) to the named companies under row-level security; NULL or an empty array lifts the limit. Returns the company ids it is limited to';

-- pg_cron's tables are not readable by the qbsync roles: the job details of qbsync's own
-- schedules (only those) come through here.
CREATE FUNCTION qbsync._cron_jobs(job_ids bigint[])
RETURNS TABLE (job_id bigint, schedule text, active boolean, start_time timestamptz, status text, return_message text)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_variable
BEGIN
    IF to_regclass('cron.job') IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT j.jobid, j.schedule, j.active, d.start_time, d.status, d.return_message
    FROM cron.job j
    LEFT JOIN LATERAL (SELECT r.start_time, r.status, r.return_message FROM cron.job_run_details r
                       WHERE r.jobid = j.jobid ORDER BY r.runid DESC LIMIT 1) d ON true
    WHERE j.jobid = ANY (job_ids) AND j.jobid IN (SELECT s.job_id FROM qbsync.schedule s);
END
$$;

-- Functions that reach what their caller may not: pg_cron (schedules), the sealed secrets and
-- the Web Connector credentials. Each runs with a fixed search_path so that no object a caller
-- creates can stand in for one of ours.
ALTER FUNCTION qbsync.qb_add_company(text, text, text, text, text, text, text, boolean)
    SECURITY DEFINER SET search_path = pg_catalog, qbsync, pg_temp;
ALTER FUNCTION qbsync.qb_add_qbd_company(text, text, text, text)
    SECURITY DEFINER SET search_path = pg_catalog, qbsync, pg_temp;
ALTER FUNCTION qbsync.qb_set_qbwc_password(text, text)
    SECURITY DEFINER SET search_path = pg_catalog, qbsync, pg_temp;
ALTER FUNCTION qbsync.qb_set_refresh_token(text, text)
    SECURITY DEFINER SET search_path = pg_catalog, qbsync, pg_temp;
ALTER FUNCTION qbsync.qb_set_agent_key(text, boolean)
    SECURITY DEFINER SET search_path = pg_catalog, qbsync, pg_temp;
ALTER FUNCTION qbsync.qb_schedule(text, text, text, text[])
    SECURITY DEFINER SET search_path = pg_catalog, qbsync, pg_temp;
ALTER FUNCTION qbsync.qb_unschedule(text, text)
    SECURITY DEFINER SET search_path = pg_catalog, qbsync, pg_temp;
ALTER FUNCTION qbsync._unschedule_job()
    SECURITY DEFINER SET search_path = pg_catalog, qbsync, pg_temp;
ALTER FUNCTION qbsync._next_scheduled(bigint, name)
    SECURITY DEFINER SET search_path = pg_catalog, qbsync, pg_temp;
ALTER FUNCTION qbsync._cron_jobs(bigint[])
    SECURITY DEFINER SET search_path = pg_catalog, qbsync, pg_temp;

-- Functions that change things are not for PUBLIC: _secure() grants them to the roles.
REVOKE EXECUTE ON FUNCTION
    qbsync.qb_add_company(text, text, text, text, text, text, text, boolean),
    qbsync.qb_add_qbd_company(text, text, text, text),
    qbsync.qb_set_qbwc_password(text, text),
    qbsync.qb_set_refresh_token(text, text),
    qbsync.qb_set_agent_key(text, boolean),
    qbsync.qb_limit_role(name, text[]),
    qbsync.qb_enable_table(text, text, boolean, text, text),
    qbsync.qb_set_conflict_policy(text, text),
    qbsync.qb_schedule(text, text, text, text[]),
    qbsync.qb_unschedule(text, text),
    qbsync.qb_prune(interval, boolean),
    qbsync.qb_populate(text, text[]),
    qbsync.qb_refresh(text, text[]),
    qbsync.qb_update(text, text[]),
    qbsync.qb_update_and_refresh(text, text[]),
    qbsync.qb_report(text, text, jsonb),
    qbsync.qb_link(text, bigint, text),
    qbsync.qb_unlink(text, bigint),
    qbsync.qb_match(text, text, text, boolean),
    qbsync.qb_stop(bigint),
    qbsync._seal(text),
    qbsync._run_schedule(text, text, text[])
FROM PUBLIC;

-- Grants and policies over every table, mirror tables included; run at the end of CREATE
-- EXTENSION (and safe to run again).
CREATE FUNCTION qbsync._secure() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    secrets constant text[] := ARRAY['company_secret', 'qbwc_credential', 'agent_key', 'company_access'];
    scope text;
BEGIN
    EXECUTE 'GRANT USAGE ON SCHEMA qbsync, qbo, qbd TO qbsync_reader, qbsync_agent';

    -- Reader: every table and view but the secrets and the access list.
    FOR t IN SELECT c.relname, n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('qbsync', 'qbo', 'qbd') AND c.relkind IN ('r', 'v', 'p')
               AND NOT (n.nspname = 'qbsync' AND c.relname = ANY (secrets)) LOOP
        EXECUTE format('GRANT SELECT ON %I.%I TO qbsync_reader', t.nspname, t.relname);
    END LOOP;
    -- Views check privileges and row-level security as the querying role, not as their owner.
    FOR t IN SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'qbsync' AND c.relkind = 'v' LOOP
        EXECUTE format('ALTER VIEW qbsync.%I SET (security_invoker = true)', t.relname);
    END LOOP;

    -- Writer: edits mirror rows (the operation column) and queues work.
    EXECUTE 'GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA qbo, qbd TO qbsync_writer';
    EXECUTE 'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA qbo, qbd, qbsync TO qbsync_writer';
    EXECUTE 'GRANT INSERT, UPDATE ON qbsync.task TO qbsync_writer';
    EXECUTE 'GRANT INSERT ON qbsync.sync_result TO qbsync_writer';
    EXECUTE 'GRANT INSERT, UPDATE, DELETE ON qbsync.link_candidate TO qbsync_writer';
    EXECUTE 'GRANT EXECUTE ON FUNCTION qbsync.qb_populate(text, text[]), qbsync.qb_refresh(text, text[]), '
            'qbsync.qb_update(text, text[]), qbsync.qb_update_and_refresh(text, text[]), qbsync.qb_report(text, text, jsonb), '
            'qbsync.qb_link(text, bigint, text), qbsync.qb_unlink(text, bigint), qbsync.qb_match(text, text, text, boolean), '
            'qbsync.qb_stop(bigint) TO qbsync_writer';

    -- Admin: companies, their tables, schedules, retention, role limits (never the secrets).
    EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON qbsync.company, qbsync.sync_table, qbsync.history, qbsync.task, '
            'qbsync.sync_result, qbsync.link_candidate, qbsync.schedule, qbsync.report_run, qbsync.report_column, '
            'qbsync.report_row, qbsync.company_access TO qbsync_admin';
    EXECUTE 'GRANT SELECT ON qbsync.agent_key TO qbsync_admin';
    EXECUTE 'GRANT EXECUTE ON FUNCTION qbsync.qb_add_company(text, text, text, text, text, text, text, boolean), '
            'qbsync.qb_add_qbd_company(text, text, text, text), qbsync.qb_set_qbwc_password(text, text), '
            'qbsync.qb_set_refresh_token(text, text), '
            'qbsync.qb_set_agent_key(text, boolean), qbsync.qb_limit_role(name, text[]), '
            'qbsync.qb_enable_table(text, text, boolean, text, text), qbsync.qb_set_conflict_policy(text, text), '
            'qbsync.qb_schedule(text, text, text, text[]), '
            'qbsync.qb_unschedule(text, text), qbsync.qb_prune(interval, boolean) TO qbsync_admin';

    -- Agent: everything in its schemas, secrets included.
    EXECUTE 'GRANT ALL ON ALL TABLES IN SCHEMA qbsync, qbo, qbd TO qbsync_agent';
    EXECUTE 'GRANT ALL ON ALL SEQUENCES IN SCHEMA qbsync, qbo, qbd TO qbsync_agent';
    EXECUTE 'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA qbsync TO qbsync_agent';

    -- Row-level security on every company-scoped table: the row's company must be visible.
    -- The function runs once per statement (an InitPlan), not once per row.
    FOR t IN SELECT c.relname, n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('qbsync', 'qbo', 'qbd') AND c.relkind IN ('r', 'p')
               AND NOT (n.nspname = 'qbsync' AND c.relname = ANY (secrets))
               AND (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attname IN ('company_id', 'run_id')
                            AND a.attnum > 0 AND NOT a.attisdropped)
                    OR (n.nspname = 'qbsync' AND c.relname = 'company')) LOOP
        scope := CASE
            WHEN t.nspname = 'qbsync' AND t.relname = 'company' THEN 'id = ANY ((SELECT qbsync._visible_companies())::bigint[])'
            WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = format('%I.%I', t.nspname, t.relname)::regclass
                         AND a.attname = 'company_id' AND NOT a.attisdropped)
                THEN 'company_id = ANY ((SELECT qbsync._visible_companies())::bigint[])'
            -- Report columns and rows belong to a run, and so to the run's company.
            ELSE 'run_id IN (SELECT r.id FROM qbsync.report_run r)'
        END;
        EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', t.nspname, t.relname);
        EXECUTE format('DROP POLICY IF EXISTS company_access ON %I.%I', t.nspname, t.relname);
        EXECUTE format('CREATE POLICY company_access ON %I.%I USING (%s) WITH CHECK (%s)', t.nspname, t.relname, scope, scope);
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION qbsync._secure() FROM PUBLIC;
COMMENT ON FUNCTION qbsync._secure IS 'Grants the qbsync roles their privileges and puts row-level security on every company-scoped table; run by CREATE EXTENSION';
