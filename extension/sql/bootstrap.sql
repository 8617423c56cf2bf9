-- qbsync catalogue: companies, their secrets, which tables they sync, sync history, tasks and results.
-- The mirror tables (schema qbo) are generated from the Rust entity catalogue at the end of the script.

CREATE SCHEMA IF NOT EXISTS qbo;
COMMENT ON SCHEMA qbo IS 'qbsync mirror tables of QuickBooks Online companies';

CREATE TABLE qbsync.company (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('qbo', 'qbd')),
    realm_id text,
    api_base text NOT NULL DEFAULT 'https://quickbooks.api.intuit.com/v3',
    token_url text NOT NULL DEFAULT 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
    operation_result boolean NOT NULL DEFAULT false,
    create_missing_items boolean NOT NULL DEFAULT false,
    item_income_account text,
    item_expense_account text,
    settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    conflict_policy text NOT NULL DEFAULT 'report' CHECK (conflict_policy IN ('report', 'quickbooks_wins', 'postgres_wins')),
    quickbooks_name text,
    qbwc_owner_id text,
    qbwc_file_id text,
    company_file text,
    error text,
    error_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE qbsync.company IS 'QuickBooks companies synced by qbsync';
COMMENT ON COLUMN qbsync.company.name IS 'Name used in every qb_* call, e.g. qb_populate(''acme'')';
COMMENT ON COLUMN qbsync.company.kind IS 'qbo (QuickBooks Online, tables in schema qbo) or qbd (QuickBooks Desktop, tables in schema qbd)';
COMMENT ON COLUMN qbsync.company.realm_id IS 'QuickBooks Online realm (company) id';
COMMENT ON COLUMN qbsync.company.api_base IS 'Base URL of the QuickBooks Online API, up to and including /v3';
COMMENT ON COLUMN qbsync.company.token_url IS 'OAuth2 token endpoint';
COMMENT ON COLUMN qbsync.company.operation_result IS 'Set operation to task result: when true a finished push writes only its outcome into operation (the row is not otherwise changed); when false the agent writes the refreshed QuickBooks record back and clears operation';
COMMENT ON COLUMN qbsync.company.create_missing_items IS 'When a transaction line names an item (item_name) QuickBooks does not have: true creates it (Service for sales lines, NonInventory for purchase lines), false refuses the row';
COMMENT ON COLUMN qbsync.company.item_income_account IS 'QuickBooks Id of the income account for items created on first use (default: the first active Income account)';
COMMENT ON COLUMN qbsync.company.item_expense_account IS 'QuickBooks Id of the expense account for items created on first use from purchase lines (default: the first active Cost of Goods Sold, else Expense, account)';
COMMENT ON COLUMN qbsync.company.conflict_policy IS 'What a push does when QuickBooks refuses a change as stale because a QuickBooks user changed the record meanwhile (QBO 5010 SyncToken, QBD 3200 EditSequence): report (row error naming both versions, nothing overwritten), quickbooks_wins (the row takes QuickBooks'' version; the discarded change is kept in sync_result.detail), postgres_wins (the change is sent again over QuickBooks'' version, once, with QuickBooks'' SyncToken or EditSequence read again; the overwritten values are kept in sync_result.detail)';
COMMENT ON COLUMN qbsync.company.settings IS 'Further per-company settings (jsonb)';
COMMENT ON COLUMN qbsync.company.qbwc_owner_id IS 'QuickBooks Desktop: the OwnerID GUID of the .QWC file (identifies qbsync to the Web Connector)';
COMMENT ON COLUMN qbsync.company.qbwc_file_id IS 'QuickBooks Desktop: the FileID GUID the Web Connector stamps into the company file; checked at every session';
COMMENT ON COLUMN qbsync.company.company_file IS 'QuickBooks Desktop: full path of the company file to open, or NULL for the one open in QuickBooks';
COMMENT ON COLUMN qbsync.company.quickbooks_name IS 'CompanyName as QuickBooks reports it, filled by the connect task';
COMMENT ON COLUMN qbsync.company.error IS 'Company-level error that stops all syncing until a person acts (e.g. re-consent needed); NULL when healthy';

CREATE TABLE qbsync.company_secret (
    company_id bigint PRIMARY KEY REFERENCES qbsync.company(id) ON DELETE CASCADE,
    client_id text NOT NULL,
    client_secret_sealed bytea NOT NULL,
    refresh_token_sealed bytea NOT NULL,
    refresh_token_expires_at timestamptz,
    access_token_sealed bytea,
    access_token_expires_at timestamptz,
    refreshed_at timestamptz,
    refresh_count bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE qbsync.company_secret IS 'OAuth2 client credentials and tokens, each sealed to the agent''s public key (qbsync.agent_key): only the agent, holding the secret key, can open them. Readable by the qbsync_agent role only';
COMMENT ON COLUMN qbsync.company_secret.client_secret_sealed IS 'OAuth2 client secret, sealed (X25519 + XSalsa20-Poly1305 sealed box) to the agent''s key';
COMMENT ON COLUMN qbsync.company_secret.refresh_token_sealed IS 'Latest refresh token, sealed to the agent''s key; QuickBooks rotates it and rejects the previous one, so it is replaced in the same transaction that records its use';
COMMENT ON COLUMN qbsync.company_secret.access_token_sealed IS 'Current access token, sealed to the agent''s key';
REVOKE ALL ON qbsync.company_secret FROM PUBLIC;

CREATE TABLE qbsync.entity (
    name text PRIMARY KEY,
    company_kind text NOT NULL CHECK (company_kind IN ('qbo', 'qbd')),
    schema_name text NOT NULL,
    table_name text NOT NULL,
    entity_kind text NOT NULL CHECK (entity_kind IN ('list', 'txn', 'singleton')),
    can_create boolean NOT NULL,
    can_update boolean NOT NULL,
    delete_style text NOT NULL CHECK (delete_style IN ('delete', 'deactivate', 'refused')),
    can_void boolean NOT NULL,
    cdc boolean NOT NULL,
    natural_key text,
    natural_key_column text,
    child_tables text[] NOT NULL,
    ord integer NOT NULL,
    is_payment boolean NOT NULL DEFAULT false,
    payer_column text,
    UNIQUE (schema_name, table_name)
);
COMMENT ON TABLE qbsync.entity IS 'The entity catalogue as SQL sees it (generated from the Rust catalogue shared with the agent); read-only';
COMMENT ON COLUMN qbsync.entity.entity_kind IS 'list: a name list (delete means deactivate); txn: a transaction; singleton: one record per company (update only)';
COMMENT ON COLUMN qbsync.entity.can_create IS 'Whether QuickBooks Online lets an application create it (false: read-only, or made only in QuickBooks)';
COMMENT ON COLUMN qbsync.entity.can_update IS 'Whether it can be changed (and, for a name list, deactivated)';
COMMENT ON COLUMN qbsync.entity.delete_style IS 'What operation = ''delete'' does: delete (transactions), deactivate (name lists), refused';
COMMENT ON COLUMN qbsync.entity.natural_key IS 'QuickBooks field that identifies a record to a person (DisplayName, Name, DocNumber, ...)';
COMMENT ON COLUMN qbsync.entity.natural_key_column IS 'The mirror column holding natural_key';
COMMENT ON COLUMN qbsync.entity.is_payment IS 'Money received or paid: syncing it in both directions needs a payment_match rule (see qb_enable_table)';
COMMENT ON COLUMN qbsync.entity.payer_column IS 'For payments, the mirror column naming who paid or was paid: a reference number is a duplicate only for the same payer';
COMMENT ON COLUMN qbsync.entity.ord IS 'Sync order: name lists before the transactions that refer to them';

CREATE TABLE qbsync.sync_table (
    company_id bigint NOT NULL REFERENCES qbsync.company(id) ON DELETE CASCADE,
    entity text NOT NULL REFERENCES qbsync.entity(name),
    enabled boolean NOT NULL DEFAULT true,
    direction text NOT NULL DEFAULT 'both' CHECK (direction IN ('incoming', 'outgoing', 'both')),
    payment_match text CHECK (payment_match IN ('reference', 'amount_date')),
    PRIMARY KEY (company_id, entity)
);
COMMENT ON COLUMN qbsync.sync_table.payment_match IS 'For payments synced both ways: how a payment already in QuickBooks is recognised before one is added (reference: PaymentRefNum/DocNumber and payer; amount_date: payer, amount and date)';

-- Payments flowing both ways would be recorded twice (once by the app, once by a QuickBooks
-- user) unless adds are first matched against QuickBooks; refuse the combination without a rule.
CREATE FUNCTION qbsync.sync_table_payment_rule() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.direction = 'both' AND NEW.payment_match IS NULL
       AND EXISTS (SELECT 1 FROM qbsync.entity e WHERE e.name = NEW.entity AND e.is_payment) THEN
        RAISE EXCEPTION 'qbsync: % cannot be synced in both directions without a rule that prevents duplicate payments', NEW.entity
            USING ERRCODE = 'check_violation',
                  DETAIL = 'A payment recorded by the application and also entered in QuickBooks would be counted twice.',
                  HINT = 'Choose how an existing QuickBooks payment is recognised before adding: payment_match => ''reference'' (reference number and payer) or ''amount_date'' (payer, amount and date), e.g. SELECT qbsync.qb_enable_table(company, ''payment'', direction => ''both'', payment_match => ''reference'');';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER payment_rule BEFORE INSERT OR UPDATE ON qbsync.sync_table
    FOR EACH ROW EXECUTE FUNCTION qbsync.sync_table_payment_rule();
COMMENT ON TABLE qbsync.sync_table IS 'Per company and entity: whether it is synced and in which direction (incoming = QuickBooks to Postgres, outgoing = Postgres to QuickBooks)';

CREATE TABLE qbsync.history (
    company_id bigint NOT NULL REFERENCES qbsync.company(id) ON DELETE CASCADE,
    entity text NOT NULL REFERENCES qbsync.entity(name),
    populated_at timestamptz,
    change_cursor timestamptz,
    last_refresh_at timestamptz,
    row_count bigint,
    PRIMARY KEY (company_id, entity)
);
COMMENT ON TABLE qbsync.history IS 'Per company and entity: when it was last fully populated and the change cursor refreshes continue from';
COMMENT ON COLUMN qbsync.history.change_cursor IS 'QuickBooks server time up to which every change has been applied (next CDC changedSince)';

CREATE TABLE qbsync.task (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id bigint NOT NULL REFERENCES qbsync.company(id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('connect', 'populate', 'refresh', 'update', 'update_and_refresh', 'report')),
    entities text[] NOT NULL DEFAULT '{}',
    params jsonb NOT NULL DEFAULT '{}'::jsonb,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed', 'stopped')),
    stop_requested boolean NOT NULL DEFAULT false,
    current_entity text,
    entities_done integer NOT NULL DEFAULT 0,
    entities_total integer NOT NULL DEFAULT 0,
    rows_done bigint NOT NULL DEFAULT 0,
    errors integer NOT NULL DEFAULT 0,
    requested_by text NOT NULL DEFAULT current_user,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    heartbeat_at timestamptz,
    finished_at timestamptz,
    locked_by text,
    error text,
    checkpoint jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX task_queued ON qbsync.task (id) WHERE status = 'queued';
CREATE INDEX task_company ON qbsync.task (company_id, id DESC);
COMMENT ON TABLE qbsync.task IS 'Work requested from the agent: one row per qb_* call, with its progress and outcome';
COMMENT ON COLUMN qbsync.task.entities IS 'Entities (QuickBooks names) the task covers, in sync order';
COMMENT ON COLUMN qbsync.task.current_entity IS 'Entity being worked on now';
COMMENT ON COLUMN qbsync.task.rows_done IS 'Records read or pushed so far';
COMMENT ON COLUMN qbsync.task.errors IS 'Records that failed (see qbsync.messages)';
COMMENT ON COLUMN qbsync.task.stop_requested IS 'Set by qb_stop(); the agent stops at the next entity boundary, never mid-record';
COMMENT ON COLUMN qbsync.task.checkpoint IS 'Per entity, where a load got to ({"after": last Id written, "began": ...}) or {"done": true}; a task re-run after a crash resumes from it';
COMMENT ON COLUMN qbsync.task.heartbeat_at IS 'Last sign of life from the agent running the task; a running task without one for long is re-queued';

CREATE TABLE qbsync.sync_result (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    task_id bigint REFERENCES qbsync.task(id) ON DELETE SET NULL,
    company_id bigint NOT NULL REFERENCES qbsync.company(id) ON DELETE CASCADE,
    entity text NOT NULL,
    local_id bigint,
    qb_id text,
    direction text NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    operation text NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('ok', 'error')),
    code text,
    message text,
    detail jsonb
);
CREATE INDEX sync_result_company_at ON qbsync.sync_result (company_id, at DESC);
CREATE INDEX sync_result_errors ON qbsync.sync_result (company_id, at DESC) WHERE outcome = 'error';
COMMENT ON TABLE qbsync.sync_result IS 'One row per record synced (or failed) in either direction';
COMMENT ON COLUMN qbsync.sync_result.direction IS 'outgoing = Postgres to QuickBooks, incoming = QuickBooks to Postgres';
COMMENT ON COLUMN qbsync.sync_result.operation IS 'add, update, delete, deactivate, void, refresh (outgoing); insert, update, delete, populate (incoming)';
COMMENT ON COLUMN qbsync.sync_result.code IS 'QuickBooks fault code (e.g. 6240, 5010) or a qbsync code';

-- Catalogue rows are user data: keep them in pg_dump output.
SELECT pg_catalog.pg_extension_config_dump('qbsync.company', '');
SELECT pg_catalog.pg_extension_config_dump('qbsync.company_secret', '');
SELECT pg_catalog.pg_extension_config_dump('qbsync.sync_table', '');
SELECT pg_catalog.pg_extension_config_dump('qbsync.history', '');
SELECT pg_catalog.pg_extension_config_dump('qbsync.task', '');
SELECT pg_catalog.pg_extension_config_dump('qbsync.sync_result', '');

-- Nesting depth of a jsonb value (a scalar is 1). The agent's JSON reader stops at 128 levels,
-- so the trigger refuses deeper data before the agent would have to read it.
CREATE FUNCTION qbsync.jsonb_depth(j jsonb) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    WITH RECURSIVE t(v, d) AS (
        SELECT j, 1
        UNION ALL
        SELECT c.v, t.d + 1 FROM t, LATERAL (
            SELECT value FROM jsonb_each(CASE WHEN jsonb_typeof(t.v) = 'object' THEN t.v END)
            UNION ALL
            SELECT value FROM jsonb_array_elements(CASE WHEN jsonb_typeof(t.v) = 'array' THEN t.v END)) c(v)
    )
    SELECT max(d) FROM t
$$;

-- Validates an application's operation on a mirror row, marks the row pending and wakes the agent.
-- Arguments: entity name, 'list', 'txn' or 'singleton', 'void' or 'none', 'create' or 'none', 'update' or 'none'
-- (what QuickBooks Online lets an application do, from the entity catalogue).
CREATE FUNCTION qbsync.mirror_operation_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    entity_name text := TG_ARGV[0];
    entity_kind text := TG_ARGV[1];
    voidable boolean := TG_ARGV[2] = 'void';
    can_create boolean := TG_ARGV[3] = 'create';
    can_update boolean := TG_ARGV[4] = 'update';
    -- QuickBooks Online tables key on id; QuickBooks Desktop ones on list_id or txn_id.
    key_col text := coalesce(TG_ARGV[5], 'id');
    qb_id text;
    tbl text := TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
    company qbsync.company;
    dir text;
    nk_col text;
    payer_col text;
    nk_value text;
    existing text;
    product text;
    -- Every refusal names the row, so a multi-row statement says which row stopped it.
    row_ref text;
BEGIN
    -- The agent's own write-back (its sessions set qbsync.agent) is not an application request.
    -- Any role can set the setting, so it counts only for the agent's role.
    IF NEW.operation IS NULL
       OR (current_setting('qbsync.agent', true) = 'on' AND pg_catalog.pg_has_role(current_user, 'qbsync_agent', 'MEMBER')) THEN
        RETURN NEW;
    END IF;
    NEW.operation := lower(btrim(NEW.operation));
    qb_id := to_jsonb(NEW) ->> key_col;
    row_ref := format('row local_id=%s%s', NEW.local_id, CASE WHEN qb_id IS NOT NULL THEN format(' (%s %s)', key_col, qb_id) ELSE '' END);
    IF NEW.operation NOT IN ('add', 'update', 'refresh', 'void', 'delete') THEN
        RAISE EXCEPTION 'qbsync: %: row local_id=% has unknown operation "%"', tbl, NEW.local_id, NEW.operation
            USING ERRCODE = 'check_violation',
                  HINT = 'operation must be one of add, update, refresh, void, delete, or NULL';
    END IF;
    IF NOT NEW.linked THEN
        RAISE EXCEPTION 'qbsync: %: row local_id=% is unlinked from QuickBooks, so it is not synced', tbl, NEW.local_id
            USING ERRCODE = 'check_violation',
                  HINT = format('Link it first: SELECT qbsync.qb_link(%L, %s, ''<QuickBooks Id>'');', tbl, NEW.local_id);
    END IF;
    SELECT * INTO company FROM qbsync.company c WHERE c.id = NEW.company_id;
    IF FOUND AND company.kind <> 'qbo' AND TG_TABLE_SCHEMA = 'qbo' THEN
        RAISE EXCEPTION 'qbsync: %: company "%" is a QuickBooks Desktop company and cannot use qbo tables (%)', tbl, company.name, row_ref
            USING ERRCODE = 'check_violation', HINT = 'Use the qbd tables for a Desktop company.';
    END IF;
    IF FOUND AND company.kind <> 'qbd' AND TG_TABLE_SCHEMA = 'qbd' THEN
        RAISE EXCEPTION 'qbsync: %: company "%" is a QuickBooks Online company and cannot use qbd tables (%)', tbl, company.name, row_ref
            USING ERRCODE = 'check_violation', HINT = 'Use the qbo tables for an Online company.';
    END IF;
    product := CASE WHEN TG_TABLE_SCHEMA = 'qbd' THEN 'QuickBooks Desktop' ELSE 'QuickBooks Online' END;
    -- data is the QuickBooks object the typed columns are laid over: anything but an object
    -- would be dropped without a word, and very deep nesting cannot be read back by the agent.
    IF NEW.operation IN ('add', 'update') AND jsonb_typeof(NEW.data) <> 'object' THEN
        RAISE EXCEPTION 'qbsync: %: % has data of type %; data must be a JSON object', tbl, row_ref, jsonb_typeof(NEW.data)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Put the QuickBooks fields in an object, e.g. data = ''{"Notes": "..."}''::jsonb, or leave data = ''{}''.';
    END IF;
    IF NEW.operation IN ('add', 'update') AND qbsync.jsonb_depth(NEW.data) > 64 THEN
        RAISE EXCEPTION 'qbsync: %: % has data nested % levels deep; at most 64 are sent to QuickBooks', tbl, row_ref, qbsync.jsonb_depth(NEW.data)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'QuickBooks objects are a few levels deep; flatten data.';
    END IF;
    IF NEW.operation = 'add' AND qb_id IS NOT NULL THEN
        RAISE EXCEPTION 'qbsync: %: row local_id=% is already in QuickBooks as Id %; it cannot be added again', tbl, NEW.local_id, qb_id
            USING ERRCODE = 'check_violation', HINT = 'Use operation = ''update'' to change it.';
    END IF;
    IF NEW.operation <> 'add' AND qb_id IS NULL THEN
        RAISE EXCEPTION 'qbsync: %: row local_id=% has no QuickBooks Id yet, so it cannot be %', tbl, NEW.local_id,
            CASE NEW.operation WHEN 'update' THEN 'updated' WHEN 'refresh' THEN 'refreshed' WHEN 'void' THEN 'voided' ELSE 'deleted' END
            USING ERRCODE = 'check_violation', HINT = 'Use operation = ''add'' to create it in QuickBooks first.';
    END IF;
    IF entity_kind = 'singleton' AND NEW.operation IN ('add', 'delete', 'void') THEN
        RAISE EXCEPTION 'qbsync: %: QuickBooks has exactly one % per company; it can be read and updated, not % (%)', tbl, entity_name,
            CASE NEW.operation WHEN 'add' THEN 'added' WHEN 'delete' THEN 'deleted' ELSE 'voided' END, row_ref
            USING ERRCODE = 'check_violation',
                  HINT = format('Change the existing row instead: UPDATE %s SET ..., operation = ''update'' WHERE company_id = %s;', tbl, NEW.company_id);
    END IF;
    IF NEW.operation = 'add' AND NOT can_create THEN
        RAISE EXCEPTION 'qbsync: %: % does not let applications create % records (%)', tbl, product, entity_name, row_ref
            USING ERRCODE = 'check_violation',
                  HINT = format('Create it in QuickBooks, then bring it here with SELECT qbsync.qb_refresh(%L, %L);', company.name, ARRAY[TG_TABLE_NAME]::text);
    END IF;
    IF NEW.operation IN ('update', 'void', 'delete') AND NOT can_update THEN
        RAISE EXCEPTION 'qbsync: %: % does not let applications % % records (%)', tbl, product,
            CASE NEW.operation WHEN 'delete' THEN 'delete or deactivate' ELSE 'change' END, entity_name, row_ref
            USING ERRCODE = 'check_violation',
                  HINT = format('Make the change in QuickBooks, then bring it here with SELECT qbsync.qb_refresh(%L, %L);', company.name, ARRAY[TG_TABLE_NAME]::text);
    END IF;
    IF NEW.operation = 'void' AND NOT voidable THEN
        RAISE EXCEPTION 'qbsync: %: % cannot void % records (%)', tbl, product, entity_name, row_ref
            USING ERRCODE = 'check_violation',
                  HINT = CASE WHEN entity_kind = 'list' AND TG_TABLE_SCHEMA = 'qbd'
                              THEN 'Use operation = ''delete'' to delete it (QuickBooks refuses while transactions use it), or set is_active = false with operation = ''update'' to make it inactive.'
                              WHEN entity_kind = 'list' THEN 'Use operation = ''delete'', which makes the record inactive.'
                         ELSE 'Use operation = ''delete'' to remove the transaction.' END;
    END IF;
    IF NEW.operation = 'add' THEN
        -- Never create a duplicate silently: a possible match found by qb_match waits for a person,
        IF EXISTS (SELECT 1 FROM qbsync.link_candidate lc WHERE lc.company_id = NEW.company_id AND lc.entity = entity_name
                   AND lc.local_id = NEW.local_id AND lc.status <> 'linked') THEN
            RAISE EXCEPTION 'qbsync: %: row local_id=% may already be in QuickBooks (see qbsync.link_candidate); it is not added', tbl, NEW.local_id
                USING ERRCODE = 'check_violation',
                      HINT = format('Link it with SELECT qbsync.qb_link(%L, %s, qb_id), or, if it is new, DELETE FROM qbsync.link_candidate WHERE entity = %L AND local_id = %s;',
                                    tbl, NEW.local_id, entity_name, NEW.local_id);
        END IF;
        -- and QuickBooks accepts duplicate document numbers, so they are checked here.
        IF entity_kind = 'txn' THEN
            SELECT e.natural_key_column, e.payer_column INTO nk_col, payer_col FROM qbsync.entity e WHERE e.name = entity_name;
            nk_value := to_jsonb(NEW) ->> nk_col;
            IF nk_value IS NOT NULL THEN
                EXECUTE format('SELECT %I FROM %I.%I WHERE company_id = $1 AND %I IS NOT NULL AND %I = $2 AND local_id <> $3 %s LIMIT 1',
                               key_col, TG_TABLE_SCHEMA, TG_TABLE_NAME, key_col, nk_col,
                               CASE WHEN payer_col IS NOT NULL THEN format('AND %I IS NOT DISTINCT FROM $4', payer_col) ELSE '' END)
                    INTO existing USING NEW.company_id, nk_value, NEW.local_id, to_jsonb(NEW) ->> coalesce(payer_col, 'company_id');
                IF existing IS NOT NULL THEN
                    RAISE EXCEPTION 'qbsync: %: row local_id=% has % "%", which QuickBooks already has as Id %; adding it would duplicate it',
                        tbl, NEW.local_id, nk_col, nk_value, existing
                        USING ERRCODE = 'unique_violation',
                              HINT = format('Link the row to it with SELECT qbsync.qb_link(%L, %s, %L); or change %s.', tbl, NEW.local_id, existing, nk_col);
                END IF;
            END IF;
        END IF;
    END IF;
    SELECT s.direction INTO dir FROM qbsync.sync_table s WHERE s.company_id = NEW.company_id AND s.entity = entity_name;
    IF dir = 'incoming' AND NEW.operation <> 'refresh' THEN
        RAISE EXCEPTION 'qbsync: %: table is incoming-only for company "%"; % of % is not sent to QuickBooks', tbl, company.name, NEW.operation, row_ref
            USING ERRCODE = 'check_violation',
                  HINT = CASE WHEN EXISTS (SELECT 1 FROM qbsync.entity e WHERE e.name = entity_name AND e.is_payment)
                              THEN format('To push payments: SELECT qbsync.qb_enable_table(%L, %L, direction => ''both'', payment_match => ''reference'');', company.name, TG_TABLE_NAME)
                              ELSE format('To push changes: SELECT qbsync.qb_enable_table(%L, %L, direction => ''both'');', company.name, TG_TABLE_NAME) END;
    END IF;
    -- A new request gets a new QuickBooks requestid, unless the previous push of this row may have
    -- reached QuickBooks without its answer reaching us: then the old id must be replayed.
    IF TG_OP = 'INSERT' OR OLD.sync_status IS DISTINCT FROM 'sending' THEN
        NEW.request_id := NULL;
    END IF;
    NEW.sync_status := 'pending';
    NEW.sync_message := NULL;
    -- One wake-up per company and entity per transaction (identical payloads are folded).
    PERFORM pg_notify('qbsync', json_build_object('company', NEW.company_id, 'entity', entity_name)::text);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION qbsync.mirror_operation_trigger() IS 'Checks operation on mirror rows, marks them pending and notifies the agent';
