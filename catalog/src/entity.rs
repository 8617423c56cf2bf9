//! The entities qbsync mirrors, and what QuickBooks lets each of them do.

/// How QuickBooks treats an entity's lifecycle (reference sheet §3.4, §13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    /// A name list (Customer, Item, ...): never deleted, only made inactive; queries hide
    /// inactive rows unless the WHERE clause says `Active IN (true,false)`.
    NameList,
    /// A transaction (Invoice, Payment, ...): can be deleted, sometimes voided.
    Transaction,
    /// One record per company (CompanyInfo, Preferences): read and updated, never created or
    /// deleted.
    Singleton,
}

/// Which request voids a transaction; it differs per entity (reference sheet §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoidStyle {
    /// The entity cannot be voided.
    None,
    /// `POST /{resource}?operation=void` (Invoice only).
    OperationVoid,
    /// `POST /{resource}?operation=update&include=void` with a sparse body (Payment, SalesReceipt, BillPayment).
    UpdateIncludeVoid,
}

/// What `delete` does to an entity in QuickBooks Online.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteStyle {
    /// `?operation=delete` removes the record (transactions).
    Delete,
    /// Name lists cannot be deleted: a sparse `Active:false` makes them inactive.
    Deactivate,
    /// Neither: the entity is read-only or cannot be changed once created.
    Refused,
}

/// Postgres type of a typed mirror column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    Text,
    Numeric,
    Bool,
    Date,
    Timestamptz,
}

impl SqlType {
    pub fn sql(self) -> &'static str {
        match self {
            SqlType::Text => "text",
            SqlType::Numeric => "numeric",
            SqlType::Bool => "boolean",
            SqlType::Date => "date",
            SqlType::Timestamptz => "timestamptz",
        }
    }
}

/// A typed column: a field people filter and join on, copied out of the QuickBooks object.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Column name in the mirror table.
    pub name: &'static str,
    pub sql_type: SqlType,
    /// Path of the field inside the QuickBooks JSON object; a numeric segment indexes an array.
    pub path: &'static [&'static str],
    /// Whether the agent sends this column to QuickBooks on add/update (false: computed by QuickBooks).
    pub writable: bool,
    /// `COMMENT ON COLUMN` text.
    pub comment: &'static str,
}

/// A repeating part of an entity (its `Line` array) kept as a child table.
#[derive(Debug, Clone, Copy)]
pub struct ChildTable {
    /// Table name in the entity's schema, e.g. `invoice_line`.
    pub table: &'static str,
    /// The JSON array on the parent object this table holds, e.g. `Line`.
    pub array: &'static str,
    pub columns: &'static [Column],
    pub comment: &'static str,
}

/// One QuickBooks Online entity as qbsync mirrors it.
#[derive(Debug, Clone, Copy)]
pub struct Entity {
    /// QuickBooks name, as in Finance.xsd and the query language: `Customer`.
    pub name: &'static str,
    /// Mirror table name (in schema `qbo`): `customer`.
    pub table: &'static str,
    /// REST resource segment: `/v3/company/{realm}/{resource}`.
    pub resource: &'static str,
    pub kind: EntityKind,
    /// Whether QuickBooks Online lets an application create it (false: read-only, or made
    /// only inside QuickBooks, e.g. tax codes through the TaxService).
    pub create: bool,
    /// Whether it can be updated (and so, for a name list, deactivated).
    pub update: bool,
    /// Whether queries hide inactive rows unless asked `Active IN (true,false)` (§4).
    pub active_filter: bool,
    pub void: VoidStyle,
    /// Whether `/cdc` reports this entity (reference sheet §5).
    pub cdc: bool,
    /// Field that identifies a record to a person, used to find a record that a lost response
    /// already created before creating it again.
    pub natural_key: Option<&'static str>,
    pub columns: &'static [Column],
    pub children: &'static [ChildTable],
    pub comment: &'static str,
}

impl Entity {
    pub fn is_name_list(&self) -> bool {
        self.kind == EntityKind::NameList
    }

    pub fn can_void(&self) -> bool {
        self.void != VoidStyle::None
    }

    /// Money received or paid (customer payments, bill payments): pushing these while also
    /// pulling them can record one payment twice, so both directions need a matching rule.
    pub fn is_payment(&self) -> bool {
        matches!(self.name, "Payment" | "BillPayment")
    }

    /// For a payment, the reference to who paid or was paid (`CustomerRef` or `VendorRef`):
    /// reference numbers repeat across payers, so a payment is only a duplicate for the same one.
    pub fn payer_key(&self) -> Option<&'static str> {
        match self.name {
            "Payment" => Some("CustomerRef"),
            "BillPayment" => Some("VendorRef"),
            _ => None,
        }
    }

    /// The mirror column holding [`Entity::payer_key`].
    pub fn payer_column(&self) -> Option<&'static str> {
        let key = self.payer_key()?;
        self.columns
            .iter()
            .find(|c| c.path.first() == Some(&key))
            .map(|c| c.name)
    }

    /// What `delete` means for this entity.
    pub fn delete_style(&self) -> DeleteStyle {
        match self.kind {
            EntityKind::Transaction => DeleteStyle::Delete,
            EntityKind::NameList if self.update => DeleteStyle::Deactivate,
            EntityKind::NameList | EntityKind::Singleton => DeleteStyle::Refused,
        }
    }

    /// `qbo.customer`
    pub fn qualified_table(&self) -> String {
        format!("{}.{}", crate::QBO_SCHEMA, self.table)
    }

    /// Every column (typed or child) named `name`, if any.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

const fn col(
    name: &'static str,
    sql_type: SqlType,
    path: &'static [&'static str],
    writable: bool,
    comment: &'static str,
) -> Column {
    Column {
        name,
        sql_type,
        path,
        writable,
        comment,
    }
}

use SqlType::{Bool, Date, Numeric, Text, Timestamptz};

const LAST_UPDATED: Column = col(
    "last_updated_time",
    Timestamptz,
    &["MetaData", "LastUpdatedTime"],
    false,
    "MetaData.LastUpdatedTime: when QuickBooks last changed the record",
);
const ACTIVE: Column = col(
    "active",
    Bool,
    &["Active"],
    true,
    "Active: false once the record is deactivated (QuickBooks' delete for name lists)",
);

const DISPLAY_NAME: Column = col(
    "display_name",
    Text,
    &["DisplayName"],
    true,
    "DisplayName: unique across customers, vendors and employees",
);
const COMPANY_NAME: Column = col("company_name", Text, &["CompanyName"], true, "CompanyName");
const EMAIL: Column = col(
    "email",
    Text,
    &["PrimaryEmailAddr", "Address"],
    true,
    "PrimaryEmailAddr.Address",
);
const PHONE: Column = col(
    "phone",
    Text,
    &["PrimaryPhone", "FreeFormNumber"],
    true,
    "PrimaryPhone.FreeFormNumber",
);

const NAME: Column = col("name", Text, &["Name"], true, "Name");
const FULLY_QUALIFIED_NAME: Column = col(
    "fully_qualified_name",
    Text,
    &["FullyQualifiedName"],
    false,
    "FullyQualifiedName, with the parents' names",
);
const PARENT_REF: Column = col(
    "parent_ref",
    Text,
    &["ParentRef", "value"],
    true,
    "ParentRef: QuickBooks Id of the parent",
);

const EXPENSE_LINE_COLUMNS: &[Column] = &[
    col(
        "line_id",
        Text,
        &["Id"],
        false,
        "Line.Id assigned by QuickBooks",
    ),
    col(
        "detail_type",
        Text,
        &["DetailType"],
        true,
        "Line.DetailType: AccountBasedExpenseLineDetail or ItemBasedExpenseLineDetail",
    ),
    col("amount", Numeric, &["Amount"], true, "Line.Amount"),
    col(
        "description",
        Text,
        &["Description"],
        true,
        "Line.Description",
    ),
    col(
        "account_ref",
        Text,
        &["AccountBasedExpenseLineDetail", "AccountRef", "value"],
        true,
        "AccountBasedExpenseLineDetail.AccountRef: expense account (qbo.account.id)",
    ),
    col(
        "item_ref",
        Text,
        &["ItemBasedExpenseLineDetail", "ItemRef", "value"],
        true,
        "ItemBasedExpenseLineDetail.ItemRef: item bought (qbo.item.id)",
    ),
    col(
        "qty",
        Numeric,
        &["ItemBasedExpenseLineDetail", "Qty"],
        true,
        "ItemBasedExpenseLineDetail.Qty",
    ),
    col(
        "unit_price",
        Numeric,
        &["ItemBasedExpenseLineDetail", "UnitPrice"],
        true,
        "ItemBasedExpenseLineDetail.UnitPrice",
    ),
    col(
        "item_name",
        Text,
        &["ItemBasedExpenseLineDetail", "ItemRef", "name"],
        true,
        "ItemBasedExpenseLineDetail.ItemRef.name; with item_ref empty the agent looks the item up by this name (and creates it when the company allows)",
    ),
];

const JOURNAL_LINE_COLUMNS: &[Column] = &[
    col(
        "line_id",
        Text,
        &["Id"],
        false,
        "Line.Id assigned by QuickBooks",
    ),
    col("amount", Numeric, &["Amount"], true, "Line.Amount"),
    col(
        "description",
        Text,
        &["Description"],
        true,
        "Line.Description",
    ),
    col(
        "posting_type",
        Text,
        &["JournalEntryLineDetail", "PostingType"],
        true,
        "JournalEntryLineDetail.PostingType: Debit or Credit",
    ),
    col(
        "account_ref",
        Text,
        &["JournalEntryLineDetail", "AccountRef", "value"],
        true,
        "JournalEntryLineDetail.AccountRef: the account posted to (qbo.account.id)",
    ),
];

const DEPOSIT_LINE_COLUMNS: &[Column] = &[
    col(
        "line_id",
        Text,
        &["Id"],
        false,
        "Line.Id assigned by QuickBooks",
    ),
    col("amount", Numeric, &["Amount"], true, "Line.Amount"),
    col(
        "description",
        Text,
        &["Description"],
        true,
        "Line.Description",
    ),
    col(
        "account_ref",
        Text,
        &["DepositLineDetail", "AccountRef", "value"],
        true,
        "DepositLineDetail.AccountRef: income or other account",
    ),
    col(
        "txn_id",
        Text,
        &["LinkedTxn", "0", "TxnId"],
        true,
        "LinkedTxn.TxnId: payment or sales receipt deposited",
    ),
    col(
        "txn_type",
        Text,
        &["LinkedTxn", "0", "TxnType"],
        true,
        "LinkedTxn.TxnType",
    ),
];

const LINKED_LINE_COLUMNS: &[Column] = &[
    col(
        "amount",
        Numeric,
        &["Amount"],
        true,
        "Line.Amount applied to the linked transaction",
    ),
    col(
        "txn_id",
        Text,
        &["LinkedTxn", "0", "TxnId"],
        true,
        "LinkedTxn.TxnId: QuickBooks Id of the transaction paid",
    ),
    col(
        "txn_type",
        Text,
        &["LinkedTxn", "0", "TxnType"],
        true,
        "LinkedTxn.TxnType: Bill, Invoice, ...",
    ),
];

const BUDGET_DETAIL_COLUMNS: &[Column] = &[
    col(
        "budget_date",
        Date,
        &["BudgetDate"],
        false,
        "BudgetDate: start of the period",
    ),
    col("amount", Numeric, &["Amount"], false, "Amount budgeted"),
    col(
        "account_ref",
        Text,
        &["AccountRef", "value"],
        false,
        "AccountRef: QuickBooks Id of the account (qbo.account.id)",
    ),
    col(
        "customer_ref",
        Text,
        &["CustomerRef", "value"],
        false,
        "CustomerRef, when the budget is by customer",
    ),
];

const CUSTOM_FIELD_COLUMNS: &[Column] = &[
    col(
        "definition_id",
        Text,
        &["DefinitionId"],
        true,
        "DefinitionId of the custom field in the company's settings",
    ),
    col("name", Text, &["Name"], true, "Name of the custom field"),
    col(
        "field_type",
        Text,
        &["Type"],
        true,
        "Type: StringType (QuickBooks Online custom fields hold strings)",
    ),
    col(
        "string_value",
        Text,
        &["StringValue"],
        true,
        "StringValue: the value; update it and set operation = 'update' on the parent",
    ),
];

const DOC_NUMBER: Column = col("doc_number", Text, &["DocNumber"], true, "DocNumber");
const TXN_DATE: Column = col("txn_date", Date, &["TxnDate"], true, "TxnDate");
const CUSTOMER_REF: Column = col(
    "customer_ref",
    Text,
    &["CustomerRef", "value"],
    true,
    "CustomerRef: QuickBooks Id of the customer (qbo.customer.id)",
);
const VENDOR_REF: Column = col(
    "vendor_ref",
    Text,
    &["VendorRef", "value"],
    true,
    "VendorRef: QuickBooks Id of the vendor (qbo.vendor.id)",
);
const TOTAL_AMT: Column = col(
    "total_amt",
    Numeric,
    &["TotalAmt"],
    false,
    "TotalAmt, computed by QuickBooks from the lines",
);
const PRIVATE_NOTE: Column = col(
    "private_note",
    Text,
    &["PrivateNote"],
    true,
    "PrivateNote (memo)",
);
const CURRENCY_REF: Column = col(
    "currency_ref",
    Text,
    &["CurrencyRef", "value"],
    true,
    "CurrencyRef: ISO currency code (e.g. EUR); defaults to the customer's or vendor's currency",
);
const EXCHANGE_RATE: Column = col(
    "exchange_rate",
    Numeric,
    &["ExchangeRate"],
    true,
    "ExchangeRate: home currency per unit of CurrencyRef; defaults to QuickBooks' rate for TxnDate (1 in the home currency)",
);
const HOME_TOTAL_AMT: Column = col(
    "home_total_amt",
    Numeric,
    &["HomeTotalAmt"],
    false,
    "HomeTotalAmt: TotalAmt in the home currency, computed by QuickBooks when multicurrency is on",
);
const TXN_TAX_CODE_REF: Column = col(
    "txn_tax_code_ref",
    Text,
    &["TxnTaxDetail", "TxnTaxCodeRef", "value"],
    true,
    "TxnTaxDetail.TxnTaxCodeRef: the sales tax code (qbo.tax_code.id) applied to taxable lines",
);
const TOTAL_TAX: Column = col(
    "total_tax",
    Numeric,
    &["TxnTaxDetail", "TotalTax"],
    false,
    "TxnTaxDetail.TotalTax: sales tax computed by QuickBooks from the tax code and the taxable lines",
);
const PAYER_CURRENCY_REF: Column = col(
    "currency_ref",
    Text,
    &["CurrencyRef", "value"],
    true,
    "CurrencyRef: the currency this name is billed in (cannot change once it has transactions)",
);
const SALES_LINE_COLUMNS: &[Column] = &[
    col(
        "line_id",
        Text,
        &["Id"],
        false,
        "Line.Id assigned by QuickBooks",
    ),
    col(
        "detail_type",
        Text,
        &["DetailType"],
        true,
        "Line.DetailType, e.g. SalesItemLineDetail or SubTotalLineDetail",
    ),
    col("amount", Numeric, &["Amount"], true, "Line.Amount"),
    col(
        "description",
        Text,
        &["Description"],
        true,
        "Line.Description",
    ),
    col(
        "item_ref",
        Text,
        &["SalesItemLineDetail", "ItemRef", "value"],
        true,
        "SalesItemLineDetail.ItemRef: QuickBooks Id of the item (qbo.item.id)",
    ),
    col(
        "qty",
        Numeric,
        &["SalesItemLineDetail", "Qty"],
        true,
        "SalesItemLineDetail.Qty",
    ),
    col(
        "unit_price",
        Numeric,
        &["SalesItemLineDetail", "UnitPrice"],
        true,
        "SalesItemLineDetail.UnitPrice",
    ),
    col(
        "item_name",
        Text,
        &["SalesItemLineDetail", "ItemRef", "name"],
        true,
        "SalesItemLineDetail.ItemRef.name; with item_ref empty the agent looks the item up by this name (and creates it when the company allows)",
    ),
    col(
        "tax_code_ref",
        Text,
        &["SalesItemLineDetail", "TaxCodeRef", "value"],
        true,
        "SalesItemLineDetail.TaxCodeRef: TAX (taxable) or NON in a US company",
    ),
];

/// Every QuickBooks Online entity qbsync mirrors, name lists first so that a push creates the
/// records a transaction refers to before the transaction itself.
pub static QBO_ENTITIES: &[Entity] = &[
    Entity {
        name: "Account",
        table: "account",
        resource: "account",
        kind: EntityKind::NameList,
        create: true,
        update: true,
        active_filter: true,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("Name"),
        columns: &[
            col(
                "name",
                Text,
                &["Name"],
                true,
                "Name (unique among accounts)",
            ),
            col(
                "fully_qualified_name",
                Text,
                &["FullyQualifiedName"],
                false,
                "FullyQualifiedName, with parent accounts",
            ),
            col(
                "account_type",
                Text,
                &["AccountType"],
                true,
                "AccountType, e.g. Income, Bank, Accounts Receivable",
            ),
            col(
                "account_sub_type",
                Text,
                &["AccountSubType"],
                true,
                "AccountSubType",
            ),
            col(
                "classification",
                Text,
                &["Classification"],
                false,
                "Classification: Asset, Liability, Equity, Revenue, Expense",
            ),
            col(
                "acct_num",
                Text,
                &["AcctNum"],
                true,
                "AcctNum, the user-defined account number",
            ),
            col(
                "current_balance",
                Numeric,
                &["CurrentBalance"],
                false,
                "CurrentBalance",
            ),
            ACTIVE,
            LAST_UPDATED,
        ],
        children: &[],
        comment: "QuickBooks Online accounts (chart of accounts)",
    },
    Entity {
        name: "Customer",
        table: "customer",
        resource: "customer",
        kind: EntityKind::NameList,
        create: true,
        update: true,
        active_filter: true,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("DisplayName"),
        columns: &[
            DISPLAY_NAME,
            COMPANY_NAME,
            col("given_name", Text, &["GivenName"], true, "GivenName"),
            col("family_name", Text, &["FamilyName"], true, "FamilyName"),
            EMAIL,
            PHONE,
            col(
                "balance",
                Numeric,
                &["Balance"],
                false,
                "Balance: open balance, computed by QuickBooks",
            ),
            PAYER_CURRENCY_REF,
            ACTIVE,
            LAST_UPDATED,
        ],
        children: &[],
        comment: "QuickBooks Online customers",
    },
    Entity {
        name: "Vendor",
        table: "vendor",
        resource: "vendor",
        kind: EntityKind::NameList,
        create: true,
        update: true,
        active_filter: true,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("DisplayName"),
        columns: &[
            DISPLAY_NAME,
            COMPANY_NAME,
            EMAIL,
            PHONE,
            col(
                "acct_num",
                Text,
                &["AcctNum"],
                true,
                "AcctNum: our account number with the vendor",
            ),
            col(
                "balance",
                Numeric,
                &["Balance"],
                false,
                "Balance: open balance, computed by QuickBooks",
            ),
            PAYER_CURRENCY_REF,
            ACTIVE,
            LAST_UPDATED,
        ],
        children: &[],
        comment: "QuickBooks Online vendors",
    },
    Entity {
        name: "Item",
        table: "item",
        resource: "item",
        kind: EntityKind::NameList,
        create: true,
        update: true,
        active_filter: true,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("Name"),
        columns: &[
            col("name", Text, &["Name"], true, "Name (unique among items)"),
            col(
                "item_type",
                Text,
                &["Type"],
                true,
                "Type: Service, NonInventory, Inventory, Category",
            ),
            col(
                "description",
                Text,
                &["Description"],
                true,
                "Description shown on sales forms",
            ),
            col("sku", Text, &["Sku"], true, "Sku"),
            col("unit_price", Numeric, &["UnitPrice"], true, "UnitPrice"),
            col(
                "income_account_ref",
                Text,
                &["IncomeAccountRef", "value"],
                true,
                "IncomeAccountRef: QuickBooks Id of the income account (qbo.account.id)",
            ),
            ACTIVE,
            LAST_UPDATED,
        ],
        children: &[],
        comment: "QuickBooks Online items (products and services)",
    },
    Entity {
        name: "Employee",
        table: "employee",
        resource: "employee",
        kind: EntityKind::NameList,
        create: true,
        update: true,
        active_filter: true,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("DisplayName"),
        columns: &[
            DISPLAY_NAME,
            col("given_name", Text, &["GivenName"], true, "GivenName"),
            col("family_name", Text, &["FamilyName"], true, "FamilyName"),
            EMAIL,
            PHONE,
            col(
                "employee_number",
                Text,
                &["EmployeeNumber"],
                true,
                "EmployeeNumber",
            ),
            col("hired_date", Date, &["HiredDate"], true, "HiredDate"),
            ACTIVE,
            LAST_UPDATED,
        ],
        children: &[],
        comment: "QuickBooks Online employees",
    },
    Entity {
        name: "Class",
        table: "class",
        resource: "class",
        kind: EntityKind::NameList,
        create: true,
        update: true,
        active_filter: true,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("Name"),
        columns: &[NAME, FULLY_QUALIFIED_NAME, PARENT_REF, ACTIVE, LAST_UPDATED],
        children: &[],
        comment: "QuickBooks Online classes (tracking categories)",
    },
    Entity {
        name: "Department",
        table: "department",
        resource: "department",
        kind: EntityKind::NameList,
        create: true,
        update: true,
        active_filter: true,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("Name"),
        columns: &[NAME, FULLY_QUALIFIED_NAME, PARENT_REF, ACTIVE, LAST_UPDATED],
        children: &[],
        comment: "QuickBooks Online departments (locations)",
    },
    Entity {
        name: "Term",
        table: "term",
        resource: "term",
        kind: EntityKind::NameList,
        create: true,
        update: true,
        active_filter: true,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("Name"),
        columns: &[
            NAME,
            col(
                "due_days",
                Numeric,
                &["DueDays"],
                true,
                "DueDays: payment is due this many days after the transaction date",
            ),
            col(
                "discount_percent",
                Numeric,
                &["DiscountPercent"],
                true,
                "DiscountPercent for early payment",
            ),
            col(
                "discount_days",
                Numeric,
                &["DiscountDays"],
                true,
                "DiscountDays: early-payment window",
            ),
            ACTIVE,
            LAST_UPDATED,
        ],
        children: &[],
        comment: "QuickBooks Online payment terms",
    },
    Entity {
        name: "PaymentMethod",
        table: "payment_method",
        resource: "paymentmethod",
        kind: EntityKind::NameList,
        create: true,
        update: true,
        active_filter: true,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("Name"),
        columns: &[
            NAME,
            col(
                "payment_type",
                Text,
                &["Type"],
                true,
                "Type: CREDIT_CARD or NON_CREDIT_CARD",
            ),
            ACTIVE,
            LAST_UPDATED,
        ],
        children: &[],
        comment: "QuickBooks Online payment methods",
    },
    Entity {
        name: "TaxAgency",
        table: "tax_agency",
        resource: "taxagency",
        kind: EntityKind::NameList,
        create: true,
        update: false,
        active_filter: false,
        void: VoidStyle::None,
        cdc: false,
        natural_key: Some("DisplayName"),
        columns: &[
            col(
                "display_name",
                Text,
                &["DisplayName"],
                true,
                "DisplayName of the tax agency",
            ),
            col(
                "tax_registration_number",
                Text,
                &["TaxRegistrationNumber"],
                true,
                "TaxRegistrationNumber",
            ),
            LAST_UPDATED,
        ],
        children: &[],
        comment: "QuickBooks Online tax agencies (can be created, not changed)",
    },
    Entity {
        name: "TaxCode",
        table: "tax_code",
        resource: "taxcode",
        kind: EntityKind::NameList,
        create: false,
        update: false,
        active_filter: true,
        void: VoidStyle::None,
        cdc: false,
        natural_key: Some("Name"),
        columns: &[
            NAME,
            col("description", Text, &["Description"], false, "Description"),
            col("taxable", Bool, &["Taxable"], false, "Taxable"),
            col(
                "tax_group",
                Bool,
                &["TaxGroup"],
                false,
                "TaxGroup: combines several rates",
            ),
            ACTIVE,
            LAST_UPDATED,
        ],
        children: &[],
        comment:
            "QuickBooks Online tax codes (read-only: made in QuickBooks or through its TaxService)",
    },
    Entity {
        name: "TaxRate",
        table: "tax_rate",
        resource: "taxrate",
        kind: EntityKind::NameList,
        create: false,
        update: false,
        active_filter: true,
        void: VoidStyle::None,
        cdc: false,
        natural_key: Some("Name"),
        columns: &[
            NAME,
            col("description", Text, &["Description"], false, "Description"),
            col(
                "rate_value",
                Numeric,
                &["RateValue"],
                false,
                "RateValue, in percent",
            ),
            col(
                "agency_ref",
                Text,
                &["AgencyRef", "value"],
                false,
                "AgencyRef: QuickBooks Id of the tax agency (qbo.tax_agency.id)",
            ),
            ACTIVE,
            LAST_UPDATED,
        ],
        children: &[],
        comment: "QuickBooks Online tax rates (read-only)",
    },
    Entity {
        name: "CompanyCurrency",
        table: "company_currency",
        resource: "companycurrency",
        kind: EntityKind::NameList,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("Code"),
        columns: &[
            col(
                "code",
                Text,
                &["Code"],
                true,
                "Code: ISO 4217 currency code, e.g. EUR",
            ),
            col("name", Text, &["Name"], false, "Name of the currency"),
            ACTIVE,
            LAST_UPDATED,
        ],
        children: &[],
        comment:
            "Currencies a multicurrency QuickBooks Online company uses besides its home currency",
    },
    Entity {
        name: "Budget",
        table: "budget",
        resource: "budget",
        kind: EntityKind::NameList,
        create: false,
        update: false,
        active_filter: true,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("Name"),
        columns: &[
            NAME,
            col("start_date", Date, &["StartDate"], false, "StartDate"),
            col("end_date", Date, &["EndDate"], false, "EndDate"),
            col(
                "budget_type",
                Text,
                &["BudgetType"],
                false,
                "BudgetType: ProfitAndLoss or BalanceSheet",
            ),
            col(
                "budget_entry_type",
                Text,
                &["BudgetEntryType"],
                false,
                "BudgetEntryType: Monthly, Quarterly, Yearly",
            ),
            ACTIVE,
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "budget_detail",
            array: "BudgetDetail",
            columns: BUDGET_DETAIL_COLUMNS,
            comment:
                "Amounts of QuickBooks Online budgets per account and period (Budget.BudgetDetail)",
        }],
        comment: "QuickBooks Online budgets (read-only)",
    },
    Entity {
        name: "Invoice",
        table: "invoice",
        resource: "invoice",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::OperationVoid,
        cdc: true,
        natural_key: Some("DocNumber"),
        columns: &[
            col(
                "doc_number",
                Text,
                &["DocNumber"],
                true,
                "DocNumber: the invoice number",
            ),
            TXN_DATE,
            col("due_date", Date, &["DueDate"], true, "DueDate"),
            CUSTOMER_REF,
            TOTAL_AMT,
            CURRENCY_REF,
            EXCHANGE_RATE,
            HOME_TOTAL_AMT,
            TXN_TAX_CODE_REF,
            TOTAL_TAX,
            col(
                "balance",
                Numeric,
                &["Balance"],
                false,
                "Balance still owed; 0 once paid",
            ),
            col(
                "private_note",
                Text,
                &["PrivateNote"],
                true,
                "PrivateNote (memo); QuickBooks writes 'Voided' here on void",
            ),
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "invoice_line",
            array: "Line",
            columns: SALES_LINE_COLUMNS,
            comment: "Lines of QuickBooks Online invoices (Invoice.Line)",
        },
        ChildTable {
            table: "invoice_custom_field",
            array: "CustomField",
            columns: CUSTOM_FIELD_COLUMNS,
            comment: "Custom fields of QuickBooks Online Invoice records (CustomField), writable",
        }],
        comment: "QuickBooks Online invoices",
    },
    Entity {
        name: "Payment",
        table: "payment",
        resource: "payment",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::UpdateIncludeVoid,
        cdc: true,
        natural_key: Some("PaymentRefNum"),
        columns: &[
            TXN_DATE,
            col(
                "customer_ref",
                Text,
                &["CustomerRef", "value"],
                true,
                "CustomerRef: QuickBooks Id of the paying customer",
            ),
            col(
                "total_amt",
                Numeric,
                &["TotalAmt"],
                true,
                "TotalAmt received",
            ),
            CURRENCY_REF,
            EXCHANGE_RATE,
            col(
                "unapplied_amt",
                Numeric,
                &["UnappliedAmt"],
                false,
                "UnappliedAmt: part of the payment not applied to any invoice",
            ),
            col(
                "payment_ref_num",
                Text,
                &["PaymentRefNum"],
                true,
                "PaymentRefNum, e.g. the cheque number",
            ),
            col(
                "deposit_to_account_ref",
                Text,
                &["DepositToAccountRef", "value"],
                true,
                "DepositToAccountRef: QuickBooks Id of the account",
            ),
            PRIVATE_NOTE,
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "payment_line",
            array: "Line",
            columns: LINKED_LINE_COLUMNS,
            comment:
                "The transactions (invoices) a QuickBooks Online payment applies to (Payment.Line)",
        }],
        comment: "QuickBooks Online customer payments",
    },
    Entity {
        name: "SalesReceipt",
        table: "sales_receipt",
        resource: "salesreceipt",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::UpdateIncludeVoid,
        cdc: true,
        natural_key: Some("DocNumber"),
        columns: &[
            DOC_NUMBER,
            TXN_DATE,
            col(
                "customer_ref",
                Text,
                &["CustomerRef", "value"],
                true,
                "CustomerRef: QuickBooks Id of the customer",
            ),
            TOTAL_AMT,
            CURRENCY_REF,
            EXCHANGE_RATE,
            HOME_TOTAL_AMT,
            TXN_TAX_CODE_REF,
            TOTAL_TAX,
            col(
                "deposit_to_account_ref",
                Text,
                &["DepositToAccountRef", "value"],
                true,
                "DepositToAccountRef: QuickBooks Id of the account",
            ),
            PRIVATE_NOTE,
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "sales_receipt_line",
            array: "Line",
            columns: SALES_LINE_COLUMNS,
            comment: "Lines of QuickBooks Online sales receipts (SalesReceipt.Line)",
        },
        ChildTable {
            table: "sales_receipt_custom_field",
            array: "CustomField",
            columns: CUSTOM_FIELD_COLUMNS,
            comment: "Custom fields of QuickBooks Online SalesReceipt records (CustomField), writable",
        }],
        comment: "QuickBooks Online sales receipts",
    },
    Entity {
        name: "Estimate",
        table: "estimate",
        resource: "estimate",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("DocNumber"),
        columns: &[
            DOC_NUMBER,
            TXN_DATE,
            CUSTOMER_REF,
            col(
                "expiration_date",
                Date,
                &["ExpirationDate"],
                true,
                "ExpirationDate",
            ),
            col(
                "txn_status",
                Text,
                &["TxnStatus"],
                true,
                "TxnStatus: Pending, Accepted, Closed, Rejected",
            ),
            TOTAL_AMT,
            CURRENCY_REF,
            EXCHANGE_RATE,
            HOME_TOTAL_AMT,
            TXN_TAX_CODE_REF,
            TOTAL_TAX,
            PRIVATE_NOTE,
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "estimate_line",
            array: "Line",
            columns: SALES_LINE_COLUMNS,
            comment: "Lines of QuickBooks Online estimates (Estimate.Line)",
        },
        ChildTable {
            table: "estimate_custom_field",
            array: "CustomField",
            columns: CUSTOM_FIELD_COLUMNS,
            comment: "Custom fields of QuickBooks Online Estimate records (CustomField), writable",
        }],
        comment: "QuickBooks Online estimates (quotes)",
    },
    Entity {
        name: "CreditMemo",
        table: "credit_memo",
        resource: "creditmemo",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("DocNumber"),
        columns: &[
            DOC_NUMBER,
            TXN_DATE,
            CUSTOMER_REF,
            TOTAL_AMT,
            CURRENCY_REF,
            EXCHANGE_RATE,
            HOME_TOTAL_AMT,
            TXN_TAX_CODE_REF,
            TOTAL_TAX,
            col(
                "remaining_credit",
                Numeric,
                &["RemainingCredit"],
                false,
                "RemainingCredit not yet applied",
            ),
            PRIVATE_NOTE,
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "credit_memo_line",
            array: "Line",
            columns: SALES_LINE_COLUMNS,
            comment: "Lines of QuickBooks Online credit memos (CreditMemo.Line)",
        },
        ChildTable {
            table: "credit_memo_custom_field",
            array: "CustomField",
            columns: CUSTOM_FIELD_COLUMNS,
            comment: "Custom fields of QuickBooks Online CreditMemo records (CustomField), writable",
        }],
        comment: "QuickBooks Online credit memos",
    },
    Entity {
        name: "RefundReceipt",
        table: "refund_receipt",
        resource: "refundreceipt",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("DocNumber"),
        columns: &[
            DOC_NUMBER,
            TXN_DATE,
            CUSTOMER_REF,
            col(
                "deposit_to_account_ref",
                Text,
                &["DepositToAccountRef", "value"],
                true,
                "DepositToAccountRef: account the refund is paid from",
            ),
            TOTAL_AMT,
            CURRENCY_REF,
            EXCHANGE_RATE,
            HOME_TOTAL_AMT,
            TXN_TAX_CODE_REF,
            TOTAL_TAX,
            PRIVATE_NOTE,
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "refund_receipt_line",
            array: "Line",
            columns: SALES_LINE_COLUMNS,
            comment: "Lines of QuickBooks Online refund receipts (RefundReceipt.Line)",
        },
        ChildTable {
            table: "refund_receipt_custom_field",
            array: "CustomField",
            columns: CUSTOM_FIELD_COLUMNS,
            comment: "Custom fields of QuickBooks Online RefundReceipt records (CustomField), writable",
        }],
        comment: "QuickBooks Online refund receipts",
    },
    Entity {
        name: "Bill",
        table: "bill",
        resource: "bill",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("DocNumber"),
        columns: &[
            DOC_NUMBER,
            TXN_DATE,
            VENDOR_REF,
            col("due_date", Date, &["DueDate"], true, "DueDate"),
            col(
                "ap_account_ref",
                Text,
                &["APAccountRef", "value"],
                true,
                "APAccountRef: accounts payable account",
            ),
            TOTAL_AMT,
            CURRENCY_REF,
            EXCHANGE_RATE,
            col(
                "balance",
                Numeric,
                &["Balance"],
                false,
                "Balance still open",
            ),
            PRIVATE_NOTE,
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "bill_line",
            array: "Line",
            columns: EXPENSE_LINE_COLUMNS,
            comment: "Lines of QuickBooks Online bills (Bill.Line)",
        }],
        comment: "QuickBooks Online bills (vendor invoices)",
    },
    Entity {
        name: "VendorCredit",
        table: "vendor_credit",
        resource: "vendorcredit",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("DocNumber"),
        columns: &[
            DOC_NUMBER,
            TXN_DATE,
            VENDOR_REF,
            TOTAL_AMT,
            CURRENCY_REF,
            EXCHANGE_RATE,
            PRIVATE_NOTE,
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "vendor_credit_line",
            array: "Line",
            columns: EXPENSE_LINE_COLUMNS,
            comment: "Lines of QuickBooks Online vendor credits (VendorCredit.Line)",
        }],
        comment: "QuickBooks Online vendor credits",
    },
    Entity {
        name: "Purchase",
        table: "purchase",
        resource: "purchase",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("DocNumber"),
        columns: &[
            DOC_NUMBER,
            TXN_DATE,
            col(
                "payment_type",
                Text,
                &["PaymentType"],
                true,
                "PaymentType: Cash, Check or CreditCard",
            ),
            col(
                "account_ref",
                Text,
                &["AccountRef", "value"],
                true,
                "AccountRef: bank or credit-card account paid from",
            ),
            col(
                "entity_ref",
                Text,
                &["EntityRef", "value"],
                true,
                "EntityRef: QuickBooks Id of the payee",
            ),
            TOTAL_AMT,
            CURRENCY_REF,
            EXCHANGE_RATE,
            PRIVATE_NOTE,
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "purchase_line",
            array: "Line",
            columns: EXPENSE_LINE_COLUMNS,
            comment: "Lines of QuickBooks Online purchases (Purchase.Line)",
        }],
        comment: "QuickBooks Online purchases (expenses, cheques, card charges)",
    },
    Entity {
        name: "PurchaseOrder",
        table: "purchase_order",
        resource: "purchaseorder",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("DocNumber"),
        columns: &[
            DOC_NUMBER,
            TXN_DATE,
            VENDOR_REF,
            col(
                "po_status",
                Text,
                &["POStatus"],
                true,
                "POStatus: Open or Closed",
            ),
            TOTAL_AMT,
            CURRENCY_REF,
            EXCHANGE_RATE,
            PRIVATE_NOTE,
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "purchase_order_line",
            array: "Line",
            columns: EXPENSE_LINE_COLUMNS,
            comment: "Lines of QuickBooks Online purchase orders (PurchaseOrder.Line)",
        },
        ChildTable {
            table: "purchase_order_custom_field",
            array: "CustomField",
            columns: CUSTOM_FIELD_COLUMNS,
            comment: "Custom fields of QuickBooks Online PurchaseOrder records (CustomField), writable",
        }],
        comment: "QuickBooks Online purchase orders",
    },
    Entity {
        name: "JournalEntry",
        table: "journal_entry",
        resource: "journalentry",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: Some("DocNumber"),
        columns: &[
            DOC_NUMBER,
            TXN_DATE,
            col(
                "total_amt",
                Numeric,
                &["TotalAmt"],
                false,
                "TotalAmt: the debits (equal to the credits)",
            ),
            PRIVATE_NOTE,
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "journal_entry_line",
            array: "Line",
            columns: JOURNAL_LINE_COLUMNS,
            comment: "Lines of QuickBooks Online journal entries (JournalEntry.Line)",
        }],
        comment: "QuickBooks Online journal entries",
    },
    Entity {
        name: "Deposit",
        table: "deposit",
        resource: "deposit",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: None,
        columns: &[
            TXN_DATE,
            col(
                "deposit_to_account_ref",
                Text,
                &["DepositToAccountRef", "value"],
                true,
                "DepositToAccountRef: bank account deposited to",
            ),
            TOTAL_AMT,
            CURRENCY_REF,
            EXCHANGE_RATE,
            HOME_TOTAL_AMT,
            PRIVATE_NOTE,
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "deposit_line",
            array: "Line",
            columns: DEPOSIT_LINE_COLUMNS,
            comment: "Lines of QuickBooks Online deposits (Deposit.Line)",
        }],
        comment: "QuickBooks Online bank deposits",
    },
    Entity {
        name: "Transfer",
        table: "transfer",
        resource: "transfer",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: None,
        columns: &[
            TXN_DATE,
            col(
                "from_account_ref",
                Text,
                &["FromAccountRef", "value"],
                true,
                "FromAccountRef: account the money leaves",
            ),
            col(
                "to_account_ref",
                Text,
                &["ToAccountRef", "value"],
                true,
                "ToAccountRef: account the money reaches",
            ),
            col("amount", Numeric, &["Amount"], true, "Amount transferred"),
            PRIVATE_NOTE,
            LAST_UPDATED,
        ],
        children: &[],
        comment: "QuickBooks Online transfers between accounts",
    },
    Entity {
        name: "BillPayment",
        table: "bill_payment",
        resource: "billpayment",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::UpdateIncludeVoid,
        cdc: true,
        natural_key: Some("DocNumber"),
        columns: &[
            DOC_NUMBER,
            TXN_DATE,
            VENDOR_REF,
            col(
                "pay_type",
                Text,
                &["PayType"],
                true,
                "PayType: Check or CreditCard",
            ),
            col("total_amt", Numeric, &["TotalAmt"], true, "TotalAmt paid"),
            CURRENCY_REF,
            EXCHANGE_RATE,
            PRIVATE_NOTE,
            LAST_UPDATED,
        ],
        children: &[ChildTable {
            table: "bill_payment_line",
            array: "Line",
            columns: LINKED_LINE_COLUMNS,
            comment: "The bills a QuickBooks Online bill payment pays (BillPayment.Line)",
        }],
        comment: "QuickBooks Online bill payments",
    },
    Entity {
        name: "TimeActivity",
        table: "time_activity",
        resource: "timeactivity",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: false,
        natural_key: None,
        columns: &[
            TXN_DATE,
            col(
                "name_of",
                Text,
                &["NameOf"],
                true,
                "NameOf: Employee or Vendor",
            ),
            col(
                "employee_ref",
                Text,
                &["EmployeeRef", "value"],
                true,
                "EmployeeRef: QuickBooks Id of the employee",
            ),
            col(
                "vendor_ref",
                Text,
                &["VendorRef", "value"],
                true,
                "VendorRef: QuickBooks Id of the vendor",
            ),
            CUSTOMER_REF,
            col(
                "item_ref",
                Text,
                &["ItemRef", "value"],
                true,
                "ItemRef: service item worked on",
            ),
            col("hours", Numeric, &["Hours"], true, "Hours"),
            col("minutes", Numeric, &["Minutes"], true, "Minutes"),
            col("description", Text, &["Description"], true, "Description"),
            LAST_UPDATED,
        ],
        children: &[],
        comment: "QuickBooks Online time activities (not in CDC: refreshed by query)",
    },
    Entity {
        name: "Attachable",
        table: "attachable",
        resource: "attachable",
        kind: EntityKind::Transaction,
        create: true,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: None,
        columns: &[
            col(
                "file_name",
                Text,
                &["FileName"],
                true,
                "FileName (metadata only: file content is not synced)",
            ),
            col("note", Text, &["Note"], true, "Note"),
            col("content_type", Text, &["ContentType"], true, "ContentType"),
            col("size", Numeric, &["Size"], false, "Size in bytes"),
            col(
                "entity_type",
                Text,
                &["AttachableRef", "0", "EntityRef", "type"],
                true,
                "AttachableRef.EntityRef.type: the kind of record it is attached to, e.g. Invoice",
            ),
            col(
                "entity_ref",
                Text,
                &["AttachableRef", "0", "EntityRef", "value"],
                true,
                "AttachableRef.EntityRef: QuickBooks Id of the record it is attached to",
            ),
            LAST_UPDATED,
        ],
        children: &[],
        comment: "QuickBooks Online attachments (notes and file metadata)",
    },
    Entity {
        name: "CompanyInfo",
        table: "company_info",
        resource: "companyinfo",
        kind: EntityKind::Singleton,
        create: false,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: None,
        columns: &[
            col("company_name", Text, &["CompanyName"], true, "CompanyName"),
            col("legal_name", Text, &["LegalName"], true, "LegalName"),
            col("email", Text, &["Email", "Address"], true, "Email.Address"),
            col(
                "phone",
                Text,
                &["PrimaryPhone", "FreeFormNumber"],
                true,
                "PrimaryPhone.FreeFormNumber",
            ),
            col("country", Text, &["Country"], false, "Country"),
            col(
                "fiscal_year_start_month",
                Text,
                &["FiscalYearStartMonth"],
                true,
                "FiscalYearStartMonth",
            ),
            LAST_UPDATED,
        ],
        children: &[],
        comment: "The QuickBooks Online company itself (one row per company; update only)",
    },
    Entity {
        name: "Preferences",
        table: "preferences",
        resource: "preferences",
        kind: EntityKind::Singleton,
        create: false,
        update: true,
        active_filter: false,
        void: VoidStyle::None,
        cdc: true,
        natural_key: None,
        columns: &[
            col(
                "multi_currency_enabled",
                Bool,
                &["CurrencyPrefs", "MultiCurrencyEnabled"],
                false,
                "CurrencyPrefs.MultiCurrencyEnabled",
            ),
            col(
                "home_currency",
                Text,
                &["CurrencyPrefs", "HomeCurrency", "value"],
                false,
                "CurrencyPrefs.HomeCurrency",
            ),
            col(
                "custom_txn_numbers",
                Bool,
                &["SalesFormsPrefs", "CustomTxnNumbers"],
                true,
                "SalesFormsPrefs.CustomTxnNumbers: DocNumber chosen by the user",
            ),
            col(
                "class_tracking_per_txn",
                Bool,
                &["AccountingInfoPrefs", "ClassTrackingPerTxn"],
                true,
                "AccountingInfoPrefs.ClassTrackingPerTxn",
            ),
            col(
                "track_departments",
                Bool,
                &["AccountingInfoPrefs", "TrackDepartments"],
                true,
                "AccountingInfoPrefs.TrackDepartments",
            ),
            LAST_UPDATED,
        ],
        children: &[],
        comment:
            "QuickBooks Online company preferences (one row per company; a subset is updatable)",
    },
];

/// Finds an entity by QuickBooks name (`SalesReceipt`), table (`sales_receipt`) or resource
/// (`salesreceipt`), case-insensitively.
pub fn qbo_entity(name: &str) -> Option<&'static Entity> {
    QBO_ENTITIES.iter().find(|e| {
        e.name.eq_ignore_ascii_case(name)
            || e.table.eq_ignore_ascii_case(name)
            || e.resource.eq_ignore_ascii_case(name)
    })
}
