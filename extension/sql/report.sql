-- Reports: qb_report() queues a run; the agent fetches the report and stores it in the tables
-- below, one run per task, so runs for two periods can be compared in SQL.

CREATE TABLE qbsync.report_kind (
    name text NOT NULL,
    company_kind text NOT NULL CHECK (company_kind IN ('qbo', 'qbd')),
    report_group text NOT NULL,
    params text[] NOT NULL,
    description text NOT NULL,
    PRIMARY KEY (company_kind, name)
);
COMMENT ON TABLE qbsync.report_kind IS 'The reports qb_report() can run and the parameters each accepts';

CREATE TABLE qbsync.report_param (
    name text NOT NULL,
    company_kind text NOT NULL DEFAULT 'qbo' CHECK (company_kind IN ('qbo', 'qbd')),
    value_kind text NOT NULL CHECK (value_kind IN ('date', 'choice', 'ids', 'count')),
    choices text[],
    description text NOT NULL,
    PRIMARY KEY (company_kind, name)
);
COMMENT ON TABLE qbsync.report_param IS 'Every report parameter and how its value is checked';

CREATE TABLE qbsync.report_run (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id bigint UNIQUE REFERENCES qbsync.task(id) ON DELETE SET NULL,
    company_id bigint NOT NULL REFERENCES qbsync.company(id) ON DELETE CASCADE,
    report text NOT NULL,
    params jsonb NOT NULL DEFAULT '{}'::jsonb,
    report_basis text,
    start_period date,
    end_period date,
    summarize_columns_by text,
    currency text,
    no_report_data boolean NOT NULL DEFAULT false,
    options jsonb NOT NULL DEFAULT '{}'::jsonb,
    header jsonb NOT NULL,
    generated_at timestamptz,
    fetched_at timestamptz NOT NULL DEFAULT now(),
    column_count integer NOT NULL,
    row_count integer NOT NULL
);
CREATE INDEX report_run_company ON qbsync.report_run (company_id, report, fetched_at DESC);
COMMENT ON TABLE qbsync.report_run IS 'One row per report run: its header (period, basis, currency, options) and the task that ran it';
COMMENT ON COLUMN qbsync.report_run.params IS 'The parameters qb_report() was called with';
COMMENT ON COLUMN qbsync.report_run.header IS 'The report header exactly as QuickBooks returned it';
COMMENT ON COLUMN qbsync.report_run.options IS 'Header options as an object, e.g. {"NoReportData": "false", "AccountingStandard": "GAAP"}';

CREATE TABLE qbsync.report_column (
    run_id bigint NOT NULL REFERENCES qbsync.report_run(id) ON DELETE CASCADE,
    col_no integer NOT NULL,
    col_key text NOT NULL,
    title text NOT NULL,
    col_type text,
    group_title text,
    start_date date,
    end_date date,
    PRIMARY KEY (run_id, col_no)
);
COMMENT ON TABLE qbsync.report_column IS 'The columns of a report run, in order (grouped columns flattened, their group in group_title)';
COMMENT ON COLUMN qbsync.report_column.col_key IS 'Stable key of the column (QuickBooks ColKey, else the title); the key of report_row.cells';

CREATE TABLE qbsync.report_row (
    run_id bigint NOT NULL REFERENCES qbsync.report_run(id) ON DELETE CASCADE,
    row_no integer NOT NULL,
    depth integer NOT NULL,
    section_path text[] NOT NULL,
    section_group text,
    row_type text NOT NULL CHECK (row_type IN ('header', 'data', 'summary')),
    label text,
    ref_id text,
    "values" text[] NOT NULL,
    ids text[] NOT NULL,
    cells jsonb NOT NULL,
    PRIMARY KEY (run_id, row_no)
);
COMMENT ON TABLE qbsync.report_row IS 'One row per report row, in report order: its section path, type and one value per column';
COMMENT ON COLUMN qbsync.report_row.section_path IS 'Titles of the sections enclosing the row, outermost first (e.g. {Income} or {Assets,"Current Assets"})';
COMMENT ON COLUMN qbsync.report_row.section_group IS 'QuickBooks group of the innermost section (Income, Expenses, NetIncome, ...)';
COMMENT ON COLUMN qbsync.report_row.row_type IS 'header (a section title), data, or summary (a section total)';
COMMENT ON COLUMN qbsync.report_row.label IS 'Value of the first column (account, customer, ... name)';
COMMENT ON COLUMN qbsync.report_row.ref_id IS 'QuickBooks Id of the record in the first column, when the report gives one';
COMMENT ON COLUMN qbsync.report_row."values" IS 'One value per column, as QuickBooks returned it (strings; "" when empty)';
COMMENT ON COLUMN qbsync.report_row.cells IS 'Wide form: {col_key: value}; numbers as JSON numbers, empty cells omitted';

-- Long form: one row per report cell, with the number parsed.
CREATE VIEW qbsync.report_value AS
SELECT r.run_id, run.report, co.name AS company, r.row_no, r.section_path, r.section_group, r.row_type,
       r.label, r.ref_id, c.col_no, c.col_key, c.title AS column_title, c.col_type, c.start_date, c.end_date,
       r."values"[c.col_no] AS value,
       r.ids[c.col_no] AS value_id,
       CASE WHEN r."values"[c.col_no] ~ '^-?[0-9]+(\.[0-9]+)?$' THEN r."values"[c.col_no]::numeric END AS amount
FROM qbsync.report_row r
JOIN qbsync.report_run run ON run.id = r.run_id
JOIN qbsync.company co ON co.id = run.company_id
JOIN qbsync.report_column c ON c.run_id = r.run_id;
COMMENT ON VIEW qbsync.report_value IS 'Long form of report rows: one row per cell, amount parsed when the value is a number';

CREATE VIEW qbsync.report_runs AS
SELECT run.id AS run_id, co.name AS company, run.report, run.start_period, run.end_period, run.report_basis,
       run.summarize_columns_by, run.currency, run.no_report_data, run.row_count, run.params,
       run.task_id, t.status AS task_status, t.requested_by, run.fetched_at
FROM qbsync.report_run run
JOIN qbsync.company co ON co.id = run.company_id
LEFT JOIN qbsync.task t ON t.id = run.task_id;
COMMENT ON VIEW qbsync.report_runs IS 'Report runs, newest last per company and report';

-- True when `v` is a real calendar date written YYYY-MM-DD (PostgreSQL 15 has no pg_input_is_valid).
CREATE FUNCTION qbsync._is_date(v text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v !~ '^\d{4}-\d{2}-\d{2}$' THEN
        RETURN false;
    END IF;
    PERFORM v::date;
    RETURN true;
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
    RETURN false;
END
$$;

-- Checks `params` against the report's parameter list; the error names the parameter.
CREATE FUNCTION qbsync._check_report_params(k qbsync.report_kind, params jsonb) RETURNS void
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_variable
DECLARE
    p record;
    def qbsync.report_param;
    v text;
BEGIN
    IF params IS NULL OR jsonb_typeof(params) <> 'object' THEN
        RAISE EXCEPTION 'qbsync: report parameters must be a JSON object, e.g. ''{"start_date": "2026-01-01"}''';
    END IF;
    FOR p IN SELECT key, value FROM jsonb_each(params) LOOP
        IF NOT (p.key = ANY (k.params)) THEN
            RAISE EXCEPTION 'qbsync: report % has no parameter "%"', k.name, p.key
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('It accepts: %s.', array_to_string(k.params, ', '));
        END IF;
        IF jsonb_typeof(p.value) NOT IN ('string', 'number') THEN
            RAISE EXCEPTION 'qbsync: report parameter % must be a string or number, not %', p.key, p.value
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        v := p.value #>> '{}';
        SELECT * INTO def FROM qbsync.report_param rp WHERE rp.name = p.key AND rp.company_kind = k.company_kind;
        IF def.value_kind = 'date' AND NOT qbsync._is_date(v) THEN
            RAISE EXCEPTION 'qbsync: report parameter % must be a date YYYY-MM-DD, not "%"', p.key, v
                USING ERRCODE = 'invalid_parameter_value';
        ELSIF def.value_kind = 'choice' AND NOT (v = ANY (def.choices)) THEN
            RAISE EXCEPTION 'qbsync: report parameter % cannot be "%"', p.key, v
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('Use one of: %s.', array_to_string(def.choices, ', '));
        ELSIF def.value_kind = 'ids' AND v !~ '^[0-9A-Za-z_-]+(,[0-9A-Za-z_-]+)*$' THEN
            RAISE EXCEPTION 'qbsync: report parameter % must be QuickBooks Ids separated by commas, not "%"', p.key, v
                USING ERRCODE = 'invalid_parameter_value';
        ELSIF def.value_kind = 'count' AND (v !~ '^[0-9]{1,4}$' OR v::int < 1) THEN
            RAISE EXCEPTION 'qbsync: report parameter % must be a whole number from 1 to 9999, not "%"', p.key, v
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    IF params ? 'start_date' AND params ? 'end_date' AND (params->>'start_date')::date > (params->>'end_date')::date THEN
        RAISE EXCEPTION 'qbsync: report % starts (%) after it ends (%)', k.name, params->>'start_date', params->>'end_date'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF k.name = 'CustomSummary' AND NOT (params ? 'summarize_column_by' AND params ? 'summarize_rows_by') THEN
        RAISE EXCEPTION 'qbsync: report CustomSummary needs both summarize_column_by and summarize_rows_by'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF params ? 'date_macro' AND (params ? 'start_date' OR params ? 'end_date') THEN
        RAISE EXCEPTION 'qbsync: report % takes either date_macro or start_date/end_date, not both', k.name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

CREATE FUNCTION qbsync.qb_report(company text, report text, params jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    c qbsync.company := qbsync._company(company);
    k qbsync.report_kind;
    task_id bigint;
BEGIN
    SELECT * INTO k FROM qbsync.report_kind rk WHERE lower(rk.name) = lower(report) AND rk.company_kind = c.kind;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'qbsync: unknown report "%" for % company "%"', report,
            CASE c.kind WHEN 'qbo' THEN 'QuickBooks Online' ELSE 'QuickBooks Desktop' END, c.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('SELECT name FROM qbsync.report_kind WHERE company_kind = %L lists them.', c.kind);
    END IF;
    PERFORM qbsync._check_report_params(k, coalesce(params, '{}'::jsonb));
    task_id := qbsync._enqueue(c, 'report', '{}', jsonb_build_object('report', k.name, 'params', coalesce(params, '{}'::jsonb)));
    UPDATE qbsync.task SET entities_total = 1 WHERE id = task_id;
    RETURN task_id;
END
$$;
COMMENT ON FUNCTION qbsync.qb_report IS 'Runs a QuickBooks report into qbsync.report_run/report_column/report_row; returns the task id';
