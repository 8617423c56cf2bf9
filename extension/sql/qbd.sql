-- QuickBooks Desktop companies: reached through the QuickBooks Web Connector, which logs in to
-- the agent's SOAP service with a user name and password. The password is kept only as a
-- bcrypt hash (pgcrypto), checked by qbsync._qbwc_login().

CREATE SCHEMA IF NOT EXISTS qbd;
COMMENT ON SCHEMA qbd IS 'qbsync mirror tables of QuickBooks Desktop companies (qbXML model: ListID/TxnID, EditSequence)';

CREATE TABLE qbsync.qbwc_credential (
    company_id bigint PRIMARY KEY REFERENCES qbsync.company(id) ON DELETE CASCADE,
    user_name text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE qbsync.qbwc_credential IS 'Web Connector logins of QuickBooks Desktop companies; the password only as a bcrypt hash; not readable by PUBLIC';
REVOKE ALL ON qbsync.qbwc_credential FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('qbsync.qbwc_credential', '');

-- crypt()/gen_salt() live wherever pgcrypto was installed.
CREATE FUNCTION qbsync._pgcrypto_schema() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgcrypto'
$$;

CREATE FUNCTION qbsync._bcrypt(password text, salt text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    s text := qbsync._pgcrypto_schema();
    h text;
BEGIN
    IF salt IS NULL THEN
        EXECUTE format('SELECT %I.crypt($1, %I.gen_salt(''bf'', 10))', s, s) INTO h USING password;
    ELSE
        EXECUTE format('SELECT %I.crypt($1, $2)', s) INTO h USING password, salt;
    END IF;
    RETURN h;
END
$$;

CREATE FUNCTION qbsync.qb_add_qbd_company(name text, user_name text, password text, company_file text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company;
BEGIN
    IF EXISTS (SELECT 1 FROM qbsync.company co WHERE co.name = qb_add_qbd_company.name) THEN
        RAISE EXCEPTION 'qbsync: company "%" already exists', name USING ERRCODE = 'unique_violation';
    END IF;
    IF coalesce(user_name, '') = '' OR length(coalesce(password, '')) < 8 THEN
        RAISE EXCEPTION 'qbsync: a QuickBooks Desktop company needs a Web Connector user name and a password of at least 8 characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM qbsync.qbwc_credential q WHERE q.user_name = qb_add_qbd_company.user_name) THEN
        RAISE EXCEPTION 'qbsync: Web Connector user "%" is already used by another company', user_name
            USING ERRCODE = 'unique_violation';
    END IF;
    INSERT INTO qbsync.company (name, kind, qbwc_owner_id, qbwc_file_id, company_file)
    VALUES (qb_add_qbd_company.name, 'qbd', '{' || upper(gen_random_uuid()::text) || '}',
            '{' || upper(gen_random_uuid()::text) || '}', nullif(qb_add_qbd_company.company_file, ''))
    RETURNING * INTO c;
    INSERT INTO qbsync.qbwc_credential (company_id, user_name, password_hash)
    VALUES (c.id, qb_add_qbd_company.user_name, qbsync._bcrypt(qb_add_qbd_company.password));
    -- As for QuickBooks Online, payments start incoming-only (both ways needs a payment_match rule).
    INSERT INTO qbsync.sync_table (company_id, entity, direction)
    SELECT c.id, en.name, CASE WHEN en.is_payment THEN 'incoming' ELSE 'both' END
    FROM qbsync.entity en WHERE en.company_kind = 'qbd';
    -- Runs at the Web Connector's first session: checks the company file and records its name.
    RETURN qbsync._enqueue(c, 'connect', '{}');
END
$$;
COMMENT ON FUNCTION qbsync.qb_add_qbd_company IS 'Adds a QuickBooks Desktop company reached through the Web Connector (user name, password stored hashed); returns the id of the task the first Web Connector session completes. Then run qbsync-agent qwc to write the .QWC file';

CREATE FUNCTION qbsync.qb_set_qbwc_password(company text, password text) RETURNS void
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company := qbsync._company(company);
BEGIN
    IF length(coalesce(password, '')) < 8 THEN
        RAISE EXCEPTION 'qbsync: the Web Connector password must have at least 8 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE qbsync.qbwc_credential q SET password_hash = qbsync._bcrypt(password), changed_at = now() WHERE q.company_id = c.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'qbsync: company "%" is not a QuickBooks Desktop company', company USING ERRCODE = 'wrong_object_type';
    END IF;
END
$$;
COMMENT ON FUNCTION qbsync.qb_set_qbwc_password IS 'Changes the Web Connector password of a QuickBooks Desktop company (stored as a bcrypt hash)';

-- The agent's login check: the company whose Web Connector user and password these are, or NULL.
CREATE FUNCTION qbsync._qbwc_login(user_name text, password text) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    cred qbsync.qbwc_credential;
BEGIN
    SELECT * INTO cred FROM qbsync.qbwc_credential q WHERE q.user_name = _qbwc_login.user_name;
    IF NOT FOUND THEN
        -- Same work either way, so timing does not reveal which user names exist.
        PERFORM qbsync._bcrypt(password);
        RETURN NULL;
    END IF;
    IF qbsync._bcrypt(password, cred.password_hash) = cred.password_hash THEN
        RETURN cred.company_id;
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION qbsync._qbwc_login(text, text) FROM PUBLIC;
