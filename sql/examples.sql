-- Everyday questions, answered from the mirror and the sync catalogue.
-- Run against the demo's database: psql -d qbsync_demo -f sql/examples.sql
\pset pager off

\echo '== Is every company healthy? (flag: blue ok, orange running with errors, red needs attention)'
SELECT company, kind, state, flag, errors, requested_by, last_sync_at, next_sync_at FROM qbsync.status;

\echo '== What failed today, and why'
SELECT at, company, table_name, local_id, operation, code, message
FROM qbsync.messages WHERE at > now() - interval '1 day' ORDER BY at DESC LIMIT 20;

\echo '== What is waiting to be pushed'
SELECT company, table_name, local_id, quickbooks_id, operation, sync_status, sync_message FROM qbsync.pending;

\echo '== When was each table last synced'
SELECT e.schema_name || '.' || e.table_name AS tbl, h.populated_at, h.last_refresh_at, h.row_count
FROM qbsync.history h JOIN qbsync.entity e ON e.name = h.entity ORDER BY e.ord;

\echo '== The last tasks'
SELECT id, kind, status, current_entity, entities_done || '/' || entities_total AS entities, rows_done, errors, requested_by, error
FROM qbsync.task ORDER BY id DESC LIMIT 5;

\echo '== Recent activity, both directions'
SELECT at, entity, local_id, qb_id, direction, operation, outcome FROM qbsync.sync_result ORDER BY id DESC LIMIT 10;

\echo '== Customers owing the most'
SELECT display_name, balance FROM qbo.customer WHERE active ORDER BY balance DESC NULLS LAST LIMIT 5;

\echo '== Open invoices with their lines'
SELECT i.doc_number, i.txn_date, c.display_name AS customer, l.line_num, it.name AS item, l.qty, l.amount, i.balance
FROM qbo.invoice i
JOIN qbo.customer c ON c.company_id = i.company_id AND c.id = i.customer_ref
JOIN qbo.invoice_line l ON l.invoice_local_id = i.local_id AND l.detail_type = 'SalesItemLineDetail'
LEFT JOIN qbo.item it ON it.company_id = i.company_id AND it.id = l.item_ref
WHERE i.balance > 0 ORDER BY i.txn_date DESC, i.doc_number, l.line_num LIMIT 10;

\echo '== Unpaid bills by vendor'
SELECT v.display_name AS vendor, count(*) AS bills, sum(b.balance) AS owed
FROM qbo.bill b JOIN qbo.vendor v ON v.company_id = b.company_id AND v.id = b.vendor_ref
WHERE b.balance > 0 GROUP BY 1 ORDER BY owed DESC LIMIT 5;

\echo '== What QuickBooks lets an application do with each table'
SELECT schema_name || '.' || table_name AS tbl, entity_kind, can_create, can_update, delete_style, can_void, cdc
FROM qbsync.entity ORDER BY ord;
