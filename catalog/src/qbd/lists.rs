//! QuickBooks Desktop name lists: customers, vendors, employees, accounts and items.

use super::*;

pub(super) const CUSTOMER: QbdEntity = QbdEntity {
    name: "Customer",
    table: "customer",
    kind: QbdKind::List,
    add: true,
    modify: true,
    void: false,
    delete: QbdDelete::ListDel,
    del_type: Some("Customer"),
    query_linked_txns: false,
    query_iterator: true,
    columns: &[
        col(
            "name",
            Str,
            &["Name"],
            RW,
            "Name: the customer, or the job under its parent customer",
        )
        .limit(41),
        col(
            "is_active",
            Bool,
            &["IsActive"],
            RW,
            "IsActive: false once the record is made inactive (inactive records stay, hidden in lists)",
        ),
        col("class_list_id", Id, &["ClassRef", "ListID"], RW, "ClassRef.ListID: class"),
        col(
            "class_full_name",
            Str,
            &["ClassRef", "FullName"],
            RW,
            "ClassRef.FullName: class",
        )
        .limit(159),
        col(
            "parent_list_id",
            Id,
            &["ParentRef", "ListID"],
            RW,
            "ParentRef.ListID: parent customer, for a job or subcustomer",
        ),
        col(
            "parent_full_name",
            Str,
            &["ParentRef", "FullName"],
            RW,
            "ParentRef.FullName: parent customer, for a job or subcustomer",
        ),
        col("sublevel", Int, &["Sublevel"], RO, "Sublevel: depth in the hierarchy (0 = top level)"),
        col("company_name", Str, &["CompanyName"], RW, "CompanyName").limit(41),
        col("salutation", Str, &["Salutation"], RW, "Salutation (Mr., Ms., ...)").limit(15),
        col("first_name", Str, &["FirstName"], RW, "FirstName").limit(25),
        col("middle_name", Str, &["MiddleName"], RW, "MiddleName").limit(5),
        col("last_name", Str, &["LastName"], RW, "LastName").limit(25),
        col("job_title", Str, &["JobTitle"], RW, "JobTitle").limit(41),
        col(
            "bill_addr1",
            Str,
            &["BillAddress", "Addr1"],
            RW,
            "BillAddress.Addr1: billing address",
        )
        .limit(41),
        col(
            "bill_addr2",
            Str,
            &["BillAddress", "Addr2"],
            RW,
            "BillAddress.Addr2: billing address",
        )
        .limit(41),
        col(
            "bill_addr3",
            Str,
            &["BillAddress", "Addr3"],
            RW,
            "BillAddress.Addr3: billing address",
        )
        .limit(41),
        col(
            "bill_city",
            Str,
            &["BillAddress", "City"],
            RW,
            "BillAddress.City: billing address",
        )
        .limit(31),
        col(
            "bill_state",
            Str,
            &["BillAddress", "State"],
            RW,
            "BillAddress.State: billing address",
        )
        .limit(21),
        col(
            "bill_postal_code",
            Str,
            &["BillAddress", "PostalCode"],
            RW,
            "BillAddress.PostalCode: billing address",
        )
        .limit(13),
        col(
            "bill_country",
            Str,
            &["BillAddress", "Country"],
            RW,
            "BillAddress.Country: billing address",
        )
        .limit(31),
        col(
            "ship_addr1",
            Str,
            &["ShipAddress", "Addr1"],
            RW,
            "ShipAddress.Addr1: shipping address",
        )
        .limit(41),
        col(
            "ship_addr2",
            Str,
            &["ShipAddress", "Addr2"],
            RW,
            "ShipAddress.Addr2: shipping address",
        )
        .limit(41),
        col(
            "ship_addr3",
            Str,
            &["ShipAddress", "Addr3"],
            RW,
            "ShipAddress.Addr3: shipping address",
        )
        .limit(41),
        col(
            "ship_city",
            Str,
            &["ShipAddress", "City"],
            RW,
            "ShipAddress.City: shipping address",
        )
        .limit(31),
        col(
            "ship_state",
            Str,
            &["ShipAddress", "State"],
            RW,
            "ShipAddress.State: shipping address",
        )
        .limit(21),
        col(
            "ship_postal_code",
            Str,
            &["ShipAddress", "PostalCode"],
            RW,
            "ShipAddress.PostalCode: shipping address",
        )
        .limit(13),
        col(
            "ship_country",
            Str,
            &["ShipAddress", "Country"],
            RW,
            "ShipAddress.Country: shipping address",
        )
        .limit(31),
        col("phone", Str, &["Phone"], RW, "Phone").limit(21),
        col("mobile", Str, &["Mobile"], RW, "Mobile").limit(21),
        col("alt_phone", Str, &["AltPhone"], RW, "AltPhone").limit(21),
        col("fax", Str, &["Fax"], RW, "Fax").limit(21),
        col(
            "email",
            Str,
            &["Email"],
            RW,
            "Email (several addresses separated by commas or semicolons)",
        )
        .limit(1023),
        col("contact", Str, &["Contact"], RW, "Contact: main contact person").limit(41),
        col(
            "customer_type_list_id",
            Id,
            &["CustomerTypeRef", "ListID"],
            RW,
            "CustomerTypeRef.ListID: customer type",
        ),
        col(
            "customer_type_full_name",
            Str,
            &["CustomerTypeRef", "FullName"],
            RW,
            "CustomerTypeRef.FullName: customer type",
        )
        .limit(159),
        col("terms_list_id", Id, &["TermsRef", "ListID"], RW, "TermsRef.ListID: payment terms"),
        col(
            "terms_full_name",
            Str,
            &["TermsRef", "FullName"],
            RW,
            "TermsRef.FullName: payment terms",
        )
        .limit(31),
        col(
            "sales_rep_list_id",
            Id,
            &["SalesRepRef", "ListID"],
            RW,
            "SalesRepRef.ListID: sales rep (initials)",
        ),
        col(
            "sales_rep_full_name",
            Str,
            &["SalesRepRef", "FullName"],
            RW,
            "SalesRepRef.FullName: sales rep (initials)",
        )
        .limit(5),
        col(
            "balance",
            Amt,
            &["Balance"],
            RO,
            "Balance: open balance of this customer or job alone (QuickBooks computes it)",
        ),
        col(
            "total_balance",
            Amt,
            &["TotalBalance"],
            RO,
            "TotalBalance: open balance including jobs and subcustomers (QuickBooks computes it)",
        ),
        col(
            "open_balance",
            Amt,
            &["OpenBalance"],
            AO,
            "OpenBalance: opening balance, sent only when the customer is added (QuickBooks never returns it)",
        ),
        col(
            "open_balance_date",
            Date,
            &["OpenBalanceDate"],
            AO,
            "OpenBalanceDate: date of the opening balance, sent only on add",
        ),
        col(
            "sales_tax_code_list_id",
            Id,
            &["SalesTaxCodeRef", "ListID"],
            RW,
            "SalesTaxCodeRef.ListID: sales tax code (Tax, Non, ...)",
        ),
        col(
            "sales_tax_code_full_name",
            Str,
            &["SalesTaxCodeRef", "FullName"],
            RW,
            "SalesTaxCodeRef.FullName: sales tax code (Tax, Non, ...)",
        )
        .limit(3),
        col(
            "item_sales_tax_list_id",
            Id,
            &["ItemSalesTaxRef", "ListID"],
            RW,
            "ItemSalesTaxRef.ListID: sales tax item or group charged",
        ),
        col(
            "item_sales_tax_full_name",
            Str,
            &["ItemSalesTaxRef", "FullName"],
            RW,
            "ItemSalesTaxRef.FullName: sales tax item or group charged",
        )
        .limit(31),
        col(
            "resale_number",
            Str,
            &["ResaleNumber"],
            RW,
            "ResaleNumber: resale certificate number",
        )
        .limit(15),
        col(
            "account_number",
            Str,
            &["AccountNumber"],
            RW,
            "AccountNumber: the account number the customer knows you by",
        )
        .limit(99),
        col("credit_limit", Amt, &["CreditLimit"], RW, "CreditLimit"),
        col(
            "preferred_payment_method_list_id",
            Id,
            &["PreferredPaymentMethodRef", "ListID"],
            RW,
            "PreferredPaymentMethodRef.ListID: preferred payment method",
        ),
        col(
            "preferred_payment_method_full_name",
            Str,
            &["PreferredPaymentMethodRef", "FullName"],
            RW,
            "PreferredPaymentMethodRef.FullName: preferred payment method",
        )
        .limit(31),
        col(
            "job_status",
            Enum(&["Awarded", "Closed", "InProgress", "None", "NotAwarded", "Pending"]),
            &["JobStatus"],
            RW,
            "JobStatus (jobs)",
        ),
        col("job_start_date", Date, &["JobStartDate"], RW, "JobStartDate (jobs)"),
        col(
            "job_projected_end_date",
            Date,
            &["JobProjectedEndDate"],
            RW,
            "JobProjectedEndDate (jobs)",
        ),
        col("job_end_date", Date, &["JobEndDate"], RW, "JobEndDate (jobs)"),
        col("job_desc", Str, &["JobDesc"], RW, "JobDesc (jobs)").limit(99),
        col("job_type_list_id", Id, &["JobTypeRef", "ListID"], RW, "JobTypeRef.ListID: job type"),
        col(
            "job_type_full_name",
            Str,
            &["JobTypeRef", "FullName"],
            RW,
            "JobTypeRef.FullName: job type",
        )
        .limit(159),
        col("notes", Str, &["Notes"], RW, "Notes").limit(4095),
        col(
            "price_level_list_id",
            Id,
            &["PriceLevelRef", "ListID"],
            RW,
            "PriceLevelRef.ListID: price level",
        ),
        col(
            "price_level_full_name",
            Str,
            &["PriceLevelRef", "FullName"],
            RW,
            "PriceLevelRef.FullName: price level",
        )
        .limit(31),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RW,
            "CurrencyRef.ListID: currency of a foreign customer (multicurrency files)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RW,
            "CurrencyRef.FullName: currency of a foreign customer (multicurrency files)",
        )
        .limit(64),
    ],
    lines: &[

    ],
    mod_order: &[],
    add_required: &["Name"],
    comment: "QuickBooks Desktop customers and jobs (CustomerRet); jobs have a parent customer and a FullName Customer:Job",
};

pub(super) const VENDOR: QbdEntity = QbdEntity {
    name: "Vendor",
    table: "vendor",
    kind: QbdKind::List,
    add: true,
    modify: true,
    void: false,
    delete: QbdDelete::ListDel,
    del_type: Some("Vendor"),
    query_linked_txns: false,
    query_iterator: true,
    columns: &[
        col(
            "name",
            Str,
            &["Name"],
            RW,
            "Name (unique across customers, vendors, employees and other names)",
        )
        .limit(41),
        col(
            "is_active",
            Bool,
            &["IsActive"],
            RW,
            "IsActive: false once the record is made inactive (inactive records stay, hidden in lists)",
        ),
        col("class_list_id", Id, &["ClassRef", "ListID"], RW, "ClassRef.ListID: class"),
        col(
            "class_full_name",
            Str,
            &["ClassRef", "FullName"],
            RW,
            "ClassRef.FullName: class",
        )
        .limit(159),
        col("company_name", Str, &["CompanyName"], RW, "CompanyName").limit(41),
        col("salutation", Str, &["Salutation"], RW, "Salutation (Mr., Ms., ...)").limit(15),
        col("first_name", Str, &["FirstName"], RW, "FirstName").limit(25),
        col("middle_name", Str, &["MiddleName"], RW, "MiddleName").limit(5),
        col("last_name", Str, &["LastName"], RW, "LastName").limit(25),
        col("job_title", Str, &["JobTitle"], RW, "JobTitle").limit(41),
        col(
            "vendor_addr1",
            Str,
            &["VendorAddress", "Addr1"],
            RW,
            "VendorAddress.Addr1: vendor address",
        )
        .limit(41),
        col(
            "vendor_addr2",
            Str,
            &["VendorAddress", "Addr2"],
            RW,
            "VendorAddress.Addr2: vendor address",
        )
        .limit(41),
        col(
            "vendor_addr3",
            Str,
            &["VendorAddress", "Addr3"],
            RW,
            "VendorAddress.Addr3: vendor address",
        )
        .limit(41),
        col(
            "vendor_city",
            Str,
            &["VendorAddress", "City"],
            RW,
            "VendorAddress.City: vendor address",
        )
        .limit(31),
        col(
            "vendor_state",
            Str,
            &["VendorAddress", "State"],
            RW,
            "VendorAddress.State: vendor address",
        )
        .limit(21),
        col(
            "vendor_postal_code",
            Str,
            &["VendorAddress", "PostalCode"],
            RW,
            "VendorAddress.PostalCode: vendor address",
        )
        .limit(13),
        col(
            "vendor_country",
            Str,
            &["VendorAddress", "Country"],
            RW,
            "VendorAddress.Country: vendor address",
        )
        .limit(31),
        col("phone", Str, &["Phone"], RW, "Phone").limit(21),
        col("mobile", Str, &["Mobile"], RW, "Mobile").limit(21),
        col("alt_phone", Str, &["AltPhone"], RW, "AltPhone").limit(21),
        col("fax", Str, &["Fax"], RW, "Fax").limit(21),
        col(
            "email",
            Str,
            &["Email"],
            RW,
            "Email (several addresses separated by commas or semicolons)",
        )
        .limit(1023),
        col("contact", Str, &["Contact"], RW, "Contact: main contact person").limit(41),
        col(
            "name_on_check",
            Str,
            &["NameOnCheck"],
            RW,
            "NameOnCheck: payee name printed on checks",
        )
        .limit(41),
        col(
            "account_number",
            Str,
            &["AccountNumber"],
            RW,
            "AccountNumber: your account number with this vendor",
        )
        .limit(99),
        col("notes", Str, &["Notes"], RW, "Notes").limit(4095),
        col(
            "vendor_type_list_id",
            Id,
            &["VendorTypeRef", "ListID"],
            RW,
            "VendorTypeRef.ListID: vendor type",
        ),
        col(
            "vendor_type_full_name",
            Str,
            &["VendorTypeRef", "FullName"],
            RW,
            "VendorTypeRef.FullName: vendor type",
        )
        .limit(159),
        col("terms_list_id", Id, &["TermsRef", "ListID"], RW, "TermsRef.ListID: payment terms"),
        col(
            "terms_full_name",
            Str,
            &["TermsRef", "FullName"],
            RW,
            "TermsRef.FullName: payment terms",
        )
        .limit(31),
        col("credit_limit", Amt, &["CreditLimit"], RW, "CreditLimit"),
        col(
            "vendor_tax_ident",
            Str,
            &["VendorTaxIdent"],
            RW,
            "VendorTaxIdent: tax identification number (1099)",
        )
        .limit(15),
        col(
            "is_vendor_eligible_for_1099",
            Bool,
            &["IsVendorEligibleFor1099"],
            RW,
            "IsVendorEligibleFor1099",
        ),
        col(
            "balance",
            Amt,
            &["Balance"],
            RO,
            "Balance: what you owe this vendor (QuickBooks computes it)",
        ),
        col(
            "open_balance",
            Amt,
            &["OpenBalance"],
            AO,
            "OpenBalance: opening balance, sent only when the vendor is added (QuickBooks never returns it)",
        ),
        col(
            "open_balance_date",
            Date,
            &["OpenBalanceDate"],
            AO,
            "OpenBalanceDate: date of the opening balance, sent only on add",
        ),
        col(
            "is_sales_tax_agency",
            Bool,
            &["IsSalesTaxAgency"],
            RW,
            "IsSalesTaxAgency: the vendor collects sales tax",
        ),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RW,
            "CurrencyRef.ListID: currency of a foreign vendor (multicurrency files)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RW,
            "CurrencyRef.FullName: currency of a foreign vendor (multicurrency files)",
        )
        .limit(64),
    ],
    lines: &[

    ],
    mod_order: &[],
    add_required: &["Name"],
    comment: "QuickBooks Desktop vendors (VendorRet)",
};

pub(super) const EMPLOYEE: QbdEntity = QbdEntity {
    name: "Employee",
    table: "employee",
    kind: QbdKind::List,
    add: true,
    modify: true,
    void: false,
    delete: QbdDelete::ListDel,
    del_type: Some("Employee"),
    query_linked_txns: false,
    query_iterator: false,
    columns: &[
        col(
            "name",
            Str,
            &["Name"],
            RW,
            "Name: the employee as listed (QuickBooks builds it from the first and last names when absent)",
        )
        .limit(41),
        col(
            "is_active",
            Bool,
            &["IsActive"],
            RW,
            "IsActive: false once the record is made inactive (inactive records stay, hidden in lists)",
        ),
        col("salutation", Str, &["Salutation"], RW, "Salutation (Mr., Ms., ...)").limit(15),
        col("first_name", Str, &["FirstName"], RW, "FirstName").limit(25),
        col("middle_name", Str, &["MiddleName"], RW, "MiddleName").limit(5),
        col("last_name", Str, &["LastName"], RW, "LastName").limit(25),
        col("job_title", Str, &["JobTitle"], RW, "JobTitle").limit(41),
        col("department", Str, &["Department"], RW, "Department").limit(31),
        col("description", Str, &["Description"], RW, "Description").limit(64),
        col(
            "employee_addr1",
            Str,
            &["EmployeeAddress", "Addr1"],
            RW,
            "EmployeeAddress.Addr1: home address",
        )
        .limit(41),
        col(
            "employee_addr2",
            Str,
            &["EmployeeAddress", "Addr2"],
            RW,
            "EmployeeAddress.Addr2: home address",
        )
        .limit(41),
        col(
            "employee_city",
            Str,
            &["EmployeeAddress", "City"],
            RW,
            "EmployeeAddress.City: home address",
        )
        .limit(31),
        col(
            "employee_state",
            Str,
            &["EmployeeAddress", "State"],
            RW,
            "EmployeeAddress.State: home address",
        )
        .limit(21),
        col(
            "employee_postal_code",
            Str,
            &["EmployeeAddress", "PostalCode"],
            RW,
            "EmployeeAddress.PostalCode: home address",
        )
        .limit(13),
        col("print_as", Str, &["PrintAs"], RW, "PrintAs: name printed on paychecks").limit(41),
        col("phone", Str, &["Phone"], RW, "Phone").limit(21),
        col("mobile", Str, &["Mobile"], RW, "Mobile").limit(21),
        col("email", Str, &["Email"], RW, "Email").limit(1023),
        col(
            "employee_type",
            Enum(&["Officer", "Owner", "Regular", "Statutory"]),
            &["EmployeeType"],
            RW,
            "EmployeeType",
        ),
        col("hired_date", Date, &["HiredDate"], RW, "HiredDate"),
        col("released_date", Date, &["ReleasedDate"], RW, "ReleasedDate: last day of employment"),
        col(
            "account_number",
            Str,
            &["AccountNumber"],
            RW,
            "AccountNumber: employee number",
        )
        .limit(99),
        col("notes", Str, &["Notes"], RW, "Notes").limit(4095),
    ],
    lines: &[

    ],
    mod_order: &[],
    add_required: &[],
    comment: "QuickBooks Desktop employees (EmployeeRet; payroll details stay in data)",
};

pub(super) const ACCOUNT: QbdEntity = QbdEntity {
    name: "Account",
    table: "account",
    kind: QbdKind::List,
    add: true,
    modify: true,
    void: false,
    delete: QbdDelete::ListDel,
    del_type: Some("Account"),
    query_linked_txns: false,
    query_iterator: false,
    columns: &[
        col("name", Str, &["Name"], RW, "Name (FullName adds the parent accounts)").limit(31),
        col(
            "is_active",
            Bool,
            &["IsActive"],
            RW,
            "IsActive: false once the record is made inactive (inactive records stay, hidden in lists)",
        ),
        col(
            "parent_list_id",
            Id,
            &["ParentRef", "ListID"],
            RW,
            "ParentRef.ListID: parent account, for a subaccount",
        ),
        col(
            "parent_full_name",
            Str,
            &["ParentRef", "FullName"],
            RW,
            "ParentRef.FullName: parent account, for a subaccount",
        ),
        col("sublevel", Int, &["Sublevel"], RO, "Sublevel: depth in the hierarchy (0 = top level)"),
        col(
            "account_type",
            Enum(&["AccountsPayable", "AccountsReceivable", "Bank", "CostOfGoodsSold", "CreditCard", "Equity", "Expense", "FixedAsset", "Income", "LongTermLiability", "NonPosting", "OtherAsset", "OtherCurrentAsset", "OtherCurrentLiability", "OtherExpense", "OtherIncome"]),
            &["AccountType"],
            RW,
            "AccountType: Bank, AccountsReceivable, Income, Expense, ...",
        ),
        col(
            "special_account_type",
            Enum(&["AccountsPayable", "AccountsReceivable", "CondenseItemAdjustmentExpenses", "CostOfGoodsSold", "DirectDepositLiabilities", "Estimates", "ExchangeGainLoss", "InventoryAssets", "ItemReceiptAccount", "OpeningBalanceEquity", "PayrollExpenses", "PayrollLiabilities", "PettyCash", "PurchaseOrders", "ReconciliationDifferences", "RetainedEarnings", "SalesOrders", "SalesTaxPayable", "UncategorizedExpenses", "UncategorizedIncome", "UndepositedFunds"]),
            &["SpecialAccountType"],
            RO,
            "SpecialAccountType: set on the accounts QuickBooks creates itself (UndepositedFunds, ...)",
        ),
        col("account_number", Str, &["AccountNumber"], RW, "AccountNumber").limit(7),
        col("bank_number", Str, &["BankNumber"], RW, "BankNumber: bank account number").limit(25),
        col("description", Str, &["Desc"], RW, "Desc").limit(200),
        col(
            "balance",
            Amt,
            &["Balance"],
            RO,
            "Balance of this account alone (QuickBooks computes it)",
        ),
        col(
            "total_balance",
            Amt,
            &["TotalBalance"],
            RO,
            "TotalBalance including subaccounts (QuickBooks computes it)",
        ),
        col(
            "open_balance",
            Amt,
            &["OpenBalance"],
            RW,
            "OpenBalance: opening balance to set (QuickBooks never returns it)",
        ),
        col(
            "open_balance_date",
            Date,
            &["OpenBalanceDate"],
            RW,
            "OpenBalanceDate: date of the opening balance",
        ),
        col(
            "tax_line_id",
            Int,
            &["TaxLineInfoRet", "TaxLineID"],
            RW,
            "TaxLineInfoRet.TaxLineID: income tax form line (sent as TaxLineID)",
        )
        .write(&["TaxLineID"]),
        col(
            "tax_line_name",
            Str,
            &["TaxLineInfoRet", "TaxLineName"],
            RO,
            "TaxLineInfoRet.TaxLineName",
        )
        .limit(256),
        col(
            "cash_flow_classification",
            Enum(&["None", "Operating", "Investing", "Financing", "NotApplicable"]),
            &["CashFlowClassification"],
            RO,
            "CashFlowClassification: section of the statement of cash flows",
        ),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RW,
            "CurrencyRef.ListID: currency of the account (multicurrency files)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RW,
            "CurrencyRef.FullName: currency of the account (multicurrency files)",
        )
        .limit(64),
    ],
    lines: &[

    ],
    mod_order: &[],
    add_required: &["Name", "AccountType"],
    comment: "QuickBooks Desktop chart of accounts (AccountRet)",
};

pub(super) const ITEM_SERVICE: QbdEntity = QbdEntity {
    name: "ItemService",
    table: "item_service",
    kind: QbdKind::List,
    add: true,
    modify: true,
    void: false,
    delete: QbdDelete::ListDel,
    del_type: Some("ItemService"),
    query_linked_txns: false,
    query_iterator: true,
    columns: &[
        col(
            "name",
            Str,
            &["Name"],
            RW,
            "Name (unique among siblings; FullName adds the parents)",
        )
        .limit(31),
        col(
            "is_active",
            Bool,
            &["IsActive"],
            RW,
            "IsActive: false once the record is made inactive (inactive records stay, hidden in lists)",
        ),
        col("class_list_id", Id, &["ClassRef", "ListID"], RW, "ClassRef.ListID: class"),
        col(
            "class_full_name",
            Str,
            &["ClassRef", "FullName"],
            RW,
            "ClassRef.FullName: class",
        )
        .limit(159),
        col(
            "parent_list_id",
            Id,
            &["ParentRef", "ListID"],
            RW,
            "ParentRef.ListID: parent item, for a subitem",
        ),
        col(
            "parent_full_name",
            Str,
            &["ParentRef", "FullName"],
            RW,
            "ParentRef.FullName: parent item, for a subitem",
        ),
        col("sublevel", Int, &["Sublevel"], RO, "Sublevel: depth in the hierarchy (0 = top level)"),
        col(
            "sales_tax_code_list_id",
            Id,
            &["SalesTaxCodeRef", "ListID"],
            RW,
            "SalesTaxCodeRef.ListID: sales tax code",
        ),
        col(
            "sales_tax_code_full_name",
            Str,
            &["SalesTaxCodeRef", "FullName"],
            RW,
            "SalesTaxCodeRef.FullName: sales tax code",
        )
        .limit(3),
        col(
            "description",
            Str,
            &["SalesOrPurchase", "Desc"],
            RW,
            "SalesOrPurchase.Desc: description on sales and purchase forms (items used for one side only)",
        )
        .limit(4095)
        .choice("sales_purchase:one"),
        col(
            "price",
            Price,
            &["SalesOrPurchase", "Price"],
            RW,
            "SalesOrPurchase.Price: rate charged or paid (items used for one side only)",
        )
        .choice("sales_purchase:one"),
        col(
            "account_list_id",
            Id,
            &["SalesOrPurchase", "AccountRef", "ListID"],
            RW,
            "SalesOrPurchase.AccountRef.ListID: income or expense account of an item used for one side only (qbd.account)",
        )
        .choice("sales_purchase:one"),
        col(
            "account_full_name",
            Str,
            &["SalesOrPurchase", "AccountRef", "FullName"],
            RW,
            "SalesOrPurchase.AccountRef.FullName: income or expense account of an item used for one side only (qbd.account)",
        )
        .limit(159)
        .choice("sales_purchase:one"),
        col(
            "sales_desc",
            Str,
            &["SalesAndPurchase", "SalesDesc"],
            RW,
            "SalesAndPurchase.SalesDesc: description on sales forms (items bought and sold)",
        )
        .limit(4095)
        .choice("sales_purchase:both"),
        col(
            "sales_price",
            Price,
            &["SalesAndPurchase", "SalesPrice"],
            RW,
            "SalesAndPurchase.SalesPrice: sales price (items bought and sold)",
        )
        .choice("sales_purchase:both"),
        col(
            "income_account_list_id",
            Id,
            &["SalesAndPurchase", "IncomeAccountRef", "ListID"],
            RW,
            "SalesAndPurchase.IncomeAccountRef.ListID: income account (items bought and sold)",
        )
        .choice("sales_purchase:both"),
        col(
            "income_account_full_name",
            Str,
            &["SalesAndPurchase", "IncomeAccountRef", "FullName"],
            RW,
            "SalesAndPurchase.IncomeAccountRef.FullName: income account (items bought and sold)",
        )
        .limit(159)
        .choice("sales_purchase:both"),
        col(
            "purchase_desc",
            Str,
            &["SalesAndPurchase", "PurchaseDesc"],
            RW,
            "SalesAndPurchase.PurchaseDesc: description on purchase forms",
        )
        .limit(4095)
        .choice("sales_purchase:both"),
        col(
            "purchase_cost",
            Price,
            &["SalesAndPurchase", "PurchaseCost"],
            RW,
            "SalesAndPurchase.PurchaseCost: purchase cost",
        )
        .choice("sales_purchase:both"),
        col(
            "expense_account_list_id",
            Id,
            &["SalesAndPurchase", "ExpenseAccountRef", "ListID"],
            RW,
            "SalesAndPurchase.ExpenseAccountRef.ListID: expense or cost of goods sold account (items bought and sold)",
        )
        .choice("sales_purchase:both"),
        col(
            "expense_account_full_name",
            Str,
            &["SalesAndPurchase", "ExpenseAccountRef", "FullName"],
            RW,
            "SalesAndPurchase.ExpenseAccountRef.FullName: expense or cost of goods sold account (items bought and sold)",
        )
        .limit(159)
        .choice("sales_purchase:both"),
        col(
            "pref_vendor_list_id",
            Id,
            &["SalesAndPurchase", "PrefVendorRef", "ListID"],
            RW,
            "SalesAndPurchase.PrefVendorRef.ListID: preferred vendor (qbd.vendor)",
        )
        .choice("sales_purchase:both"),
        col(
            "pref_vendor_full_name",
            Str,
            &["SalesAndPurchase", "PrefVendorRef", "FullName"],
            RW,
            "SalesAndPurchase.PrefVendorRef.FullName: preferred vendor (qbd.vendor)",
        )
        .limit(41)
        .choice("sales_purchase:both"),
    ],
    lines: &[

    ],
    mod_order: &[],
    add_required: &["Name", "SalesOrPurchase|SalesAndPurchase"],
    comment: "QuickBooks Desktop service items (ItemServiceRet): either SalesOrPurchase (description, price, account) or SalesAndPurchase (sales_* and purchase_* columns) is set",
};

pub(super) const ITEM_NON_INVENTORY: QbdEntity = QbdEntity {
    name: "ItemNonInventory",
    table: "item_non_inventory",
    kind: QbdKind::List,
    add: true,
    modify: true,
    void: false,
    delete: QbdDelete::ListDel,
    del_type: Some("ItemNonInventory"),
    query_linked_txns: false,
    query_iterator: true,
    columns: &[
        col(
            "name",
            Str,
            &["Name"],
            RW,
            "Name (unique among siblings; FullName adds the parents)",
        )
        .limit(31),
        col(
            "is_active",
            Bool,
            &["IsActive"],
            RW,
            "IsActive: false once the record is made inactive (inactive records stay, hidden in lists)",
        ),
        col(
            "parent_list_id",
            Id,
            &["ParentRef", "ListID"],
            RW,
            "ParentRef.ListID: parent item, for a subitem",
        ),
        col(
            "parent_full_name",
            Str,
            &["ParentRef", "FullName"],
            RW,
            "ParentRef.FullName: parent item, for a subitem",
        ),
        col("class_list_id", Id, &["ClassRef", "ListID"], RW, "ClassRef.ListID: class"),
        col(
            "class_full_name",
            Str,
            &["ClassRef", "FullName"],
            RW,
            "ClassRef.FullName: class",
        )
        .limit(159),
        col("sublevel", Int, &["Sublevel"], RO, "Sublevel: depth in the hierarchy (0 = top level)"),
        col(
            "manufacturer_part_number",
            Str,
            &["ManufacturerPartNumber"],
            RW,
            "ManufacturerPartNumber",
        )
        .limit(31),
        col(
            "sales_tax_code_list_id",
            Id,
            &["SalesTaxCodeRef", "ListID"],
            RW,
            "SalesTaxCodeRef.ListID: sales tax code",
        ),
        col(
            "sales_tax_code_full_name",
            Str,
            &["SalesTaxCodeRef", "FullName"],
            RW,
            "SalesTaxCodeRef.FullName: sales tax code",
        )
        .limit(3),
        col(
            "description",
            Str,
            &["SalesOrPurchase", "Desc"],
            RW,
            "SalesOrPurchase.Desc: description on sales and purchase forms (items used for one side only)",
        )
        .limit(4095)
        .choice("sales_purchase:one"),
        col(
            "price",
            Price,
            &["SalesOrPurchase", "Price"],
            RW,
            "SalesOrPurchase.Price: rate charged or paid (items used for one side only)",
        )
        .choice("sales_purchase:one"),
        col(
            "account_list_id",
            Id,
            &["SalesOrPurchase", "AccountRef", "ListID"],
            RW,
            "SalesOrPurchase.AccountRef.ListID: income or expense account of an item used for one side only (qbd.account)",
        )
        .choice("sales_purchase:one"),
        col(
            "account_full_name",
            Str,
            &["SalesOrPurchase", "AccountRef", "FullName"],
            RW,
            "SalesOrPurchase.AccountRef.FullName: income or expense account of an item used for one side only (qbd.account)",
        )
        .limit(159)
        .choice("sales_purchase:one"),
        col(
            "sales_desc",
            Str,
            &["SalesAndPurchase", "SalesDesc"],
            RW,
            "SalesAndPurchase.SalesDesc: description on sales forms (items bought and sold)",
        )
        .limit(4095)
        .choice("sales_purchase:both"),
        col(
            "sales_price",
            Price,
            &["SalesAndPurchase", "SalesPrice"],
            RW,
            "SalesAndPurchase.SalesPrice: sales price (items bought and sold)",
        )
        .choice("sales_purchase:both"),
        col(
            "income_account_list_id",
            Id,
            &["SalesAndPurchase", "IncomeAccountRef", "ListID"],
            RW,
            "SalesAndPurchase.IncomeAccountRef.ListID: income account (items bought and sold)",
        )
        .choice("sales_purchase:both"),
        col(
            "income_account_full_name",
            Str,
            &["SalesAndPurchase", "IncomeAccountRef", "FullName"],
            RW,
            "SalesAndPurchase.IncomeAccountRef.FullName: income account (items bought and sold)",
        )
        .limit(159)
        .choice("sales_purchase:both"),
        col(
            "purchase_desc",
            Str,
            &["SalesAndPurchase", "PurchaseDesc"],
            RW,
            "SalesAndPurchase.PurchaseDesc: description on purchase forms",
        )
        .limit(4095)
        .choice("sales_purchase:both"),
        col(
            "purchase_cost",
            Price,
            &["SalesAndPurchase", "PurchaseCost"],
            RW,
            "SalesAndPurchase.PurchaseCost: purchase cost",
        )
        .choice("sales_purchase:both"),
        col(
            "expense_account_list_id",
            Id,
            &["SalesAndPurchase", "ExpenseAccountRef", "ListID"],
            RW,
            "SalesAndPurchase.ExpenseAccountRef.ListID: expense or cost of goods sold account (items bought and sold)",
        )
        .choice("sales_purchase:both"),
        col(
            "expense_account_full_name",
            Str,
            &["SalesAndPurchase", "ExpenseAccountRef", "FullName"],
            RW,
            "SalesAndPurchase.ExpenseAccountRef.FullName: expense or cost of goods sold account (items bought and sold)",
        )
        .limit(159)
        .choice("sales_purchase:both"),
        col(
            "pref_vendor_list_id",
            Id,
            &["SalesAndPurchase", "PrefVendorRef", "ListID"],
            RW,
            "SalesAndPurchase.PrefVendorRef.ListID: preferred vendor (qbd.vendor)",
        )
        .choice("sales_purchase:both"),
        col(
            "pref_vendor_full_name",
            Str,
            &["SalesAndPurchase", "PrefVendorRef", "FullName"],
            RW,
            "SalesAndPurchase.PrefVendorRef.FullName: preferred vendor (qbd.vendor)",
        )
        .limit(41)
        .choice("sales_purchase:both"),
    ],
    lines: &[

    ],
    mod_order: &["Name", "IsActive", "ClassRef", "ParentRef", "ManufacturerPartNumber", "SalesTaxCodeRef", "SalesOrPurchase", "SalesAndPurchase"],
    add_required: &["Name", "SalesOrPurchase|SalesAndPurchase"],
    comment: "QuickBooks Desktop non-inventory items (ItemNonInventoryRet): either SalesOrPurchase (description, price, account) or SalesAndPurchase (sales_* and purchase_* columns) is set",
};

pub(super) const ITEM_INVENTORY: QbdEntity = QbdEntity {
    name: "ItemInventory",
    table: "item_inventory",
    kind: QbdKind::List,
    add: true,
    modify: true,
    void: false,
    delete: QbdDelete::ListDel,
    del_type: Some("ItemInventory"),
    query_linked_txns: false,
    query_iterator: true,
    columns: &[
        col(
            "name",
            Str,
            &["Name"],
            RW,
            "Name (unique among siblings; FullName adds the parents)",
        )
        .limit(31),
        col(
            "is_active",
            Bool,
            &["IsActive"],
            RW,
            "IsActive: false once the record is made inactive (inactive records stay, hidden in lists)",
        ),
        col("class_list_id", Id, &["ClassRef", "ListID"], RW, "ClassRef.ListID: class"),
        col(
            "class_full_name",
            Str,
            &["ClassRef", "FullName"],
            RW,
            "ClassRef.FullName: class",
        )
        .limit(159),
        col(
            "parent_list_id",
            Id,
            &["ParentRef", "ListID"],
            RW,
            "ParentRef.ListID: parent item, for a subitem",
        ),
        col(
            "parent_full_name",
            Str,
            &["ParentRef", "FullName"],
            RW,
            "ParentRef.FullName: parent item, for a subitem",
        ),
        col("sublevel", Int, &["Sublevel"], RO, "Sublevel: depth in the hierarchy (0 = top level)"),
        col(
            "manufacturer_part_number",
            Str,
            &["ManufacturerPartNumber"],
            RW,
            "ManufacturerPartNumber",
        )
        .limit(31),
        col(
            "sales_tax_code_list_id",
            Id,
            &["SalesTaxCodeRef", "ListID"],
            RW,
            "SalesTaxCodeRef.ListID: sales tax code",
        ),
        col(
            "sales_tax_code_full_name",
            Str,
            &["SalesTaxCodeRef", "FullName"],
            RW,
            "SalesTaxCodeRef.FullName: sales tax code",
        )
        .limit(3),
        col(
            "sales_desc",
            Str,
            &["SalesDesc"],
            RW,
            "SalesDesc: description on sales forms",
        )
        .limit(4095),
        col("sales_price", Price, &["SalesPrice"], RW, "SalesPrice"),
        col(
            "income_account_list_id",
            Id,
            &["IncomeAccountRef", "ListID"],
            RW,
            "IncomeAccountRef.ListID: income account",
        ),
        col(
            "income_account_full_name",
            Str,
            &["IncomeAccountRef", "FullName"],
            RW,
            "IncomeAccountRef.FullName: income account",
        )
        .limit(159),
        col(
            "purchase_desc",
            Str,
            &["PurchaseDesc"],
            RW,
            "PurchaseDesc: description on purchase forms",
        )
        .limit(4095),
        col("purchase_cost", Price, &["PurchaseCost"], RW, "PurchaseCost"),
        col(
            "cogs_account_list_id",
            Id,
            &["COGSAccountRef", "ListID"],
            RW,
            "COGSAccountRef.ListID: cost of goods sold account",
        ),
        col(
            "cogs_account_full_name",
            Str,
            &["COGSAccountRef", "FullName"],
            RW,
            "COGSAccountRef.FullName: cost of goods sold account",
        )
        .limit(159),
        col(
            "pref_vendor_list_id",
            Id,
            &["PrefVendorRef", "ListID"],
            RW,
            "PrefVendorRef.ListID: preferred vendor (qbd.vendor)",
        ),
        col(
            "pref_vendor_full_name",
            Str,
            &["PrefVendorRef", "FullName"],
            RW,
            "PrefVendorRef.FullName: preferred vendor (qbd.vendor)",
        )
        .limit(41),
        col(
            "asset_account_list_id",
            Id,
            &["AssetAccountRef", "ListID"],
            RW,
            "AssetAccountRef.ListID: inventory asset account",
        ),
        col(
            "asset_account_full_name",
            Str,
            &["AssetAccountRef", "FullName"],
            RW,
            "AssetAccountRef.FullName: inventory asset account",
        )
        .limit(159),
        col("reorder_point", Quan, &["ReorderPoint"], RW, "ReorderPoint"),
        col("max_quantity", Quan, &["Max"], RW, "Max: quantity to reorder up to"),
        col(
            "quantity_on_hand",
            Quan,
            &["QuantityOnHand"],
            AO,
            "QuantityOnHand (set only when the item is added; afterwards changed by transactions and inventory adjustments)",
        ),
        col("average_cost", Price, &["AverageCost"], RO, "AverageCost (QuickBooks computes it)"),
        col(
            "quantity_on_order",
            Quan,
            &["QuantityOnOrder"],
            RO,
            "QuantityOnOrder: on open purchase orders",
        ),
        col(
            "quantity_on_sales_order",
            Quan,
            &["QuantityOnSalesOrder"],
            RO,
            "QuantityOnSalesOrder: on open sales orders",
        ),
        col(
            "total_value",
            Amt,
            &["TotalValue"],
            AO,
            "TotalValue: value of the starting quantity, sent only on add (QuickBooks never returns it)",
        ),
        col(
            "inventory_date",
            Date,
            &["InventoryDate"],
            AO,
            "InventoryDate: date of the starting quantity, sent only on add",
        ),
    ],
    lines: &[

    ],
    mod_order: &[],
    add_required: &["Name"],
    comment: "QuickBooks Desktop inventory part items (ItemInventoryRet)",
};

pub(super) const ITEM_OTHER_CHARGE: QbdEntity = QbdEntity {
    name: "ItemOtherCharge",
    table: "item_other_charge",
    kind: QbdKind::List,
    add: true,
    modify: true,
    void: false,
    delete: QbdDelete::ListDel,
    del_type: Some("ItemOtherCharge"),
    query_linked_txns: false,
    query_iterator: true,
    columns: &[
        col(
            "name",
            Str,
            &["Name"],
            RW,
            "Name (unique among siblings; FullName adds the parents)",
        )
        .limit(31),
        col(
            "is_active",
            Bool,
            &["IsActive"],
            RW,
            "IsActive: false once the record is made inactive (inactive records stay, hidden in lists)",
        ),
        col("class_list_id", Id, &["ClassRef", "ListID"], RW, "ClassRef.ListID: class"),
        col(
            "class_full_name",
            Str,
            &["ClassRef", "FullName"],
            RW,
            "ClassRef.FullName: class",
        )
        .limit(159),
        col(
            "parent_list_id",
            Id,
            &["ParentRef", "ListID"],
            RW,
            "ParentRef.ListID: parent item, for a subitem",
        ),
        col(
            "parent_full_name",
            Str,
            &["ParentRef", "FullName"],
            RW,
            "ParentRef.FullName: parent item, for a subitem",
        ),
        col("sublevel", Int, &["Sublevel"], RO, "Sublevel: depth in the hierarchy (0 = top level)"),
        col(
            "sales_tax_code_list_id",
            Id,
            &["SalesTaxCodeRef", "ListID"],
            RW,
            "SalesTaxCodeRef.ListID: sales tax code",
        ),
        col(
            "sales_tax_code_full_name",
            Str,
            &["SalesTaxCodeRef", "FullName"],
            RW,
            "SalesTaxCodeRef.FullName: sales tax code",
        )
        .limit(3),
        col(
            "description",
            Str,
            &["SalesOrPurchase", "Desc"],
            RW,
            "SalesOrPurchase.Desc: description on sales and purchase forms (items used for one side only)",
        )
        .limit(4095)
        .choice("sales_purchase:one"),
        col(
            "price",
            Price,
            &["SalesOrPurchase", "Price"],
            RW,
            "SalesOrPurchase.Price: rate charged or paid (items used for one side only)",
        )
        .choice("sales_purchase:one"),
        col(
            "account_list_id",
            Id,
            &["SalesOrPurchase", "AccountRef", "ListID"],
            RW,
            "SalesOrPurchase.AccountRef.ListID: income or expense account of an item used for one side only (qbd.account)",
        )
        .choice("sales_purchase:one"),
        col(
            "account_full_name",
            Str,
            &["SalesOrPurchase", "AccountRef", "FullName"],
            RW,
            "SalesOrPurchase.AccountRef.FullName: income or expense account of an item used for one side only (qbd.account)",
        )
        .limit(159)
        .choice("sales_purchase:one"),
        col(
            "sales_desc",
            Str,
            &["SalesAndPurchase", "SalesDesc"],
            RW,
            "SalesAndPurchase.SalesDesc: description on sales forms (items bought and sold)",
        )
        .limit(4095)
        .choice("sales_purchase:both"),
        col(
            "sales_price",
            Price,
            &["SalesAndPurchase", "SalesPrice"],
            RW,
            "SalesAndPurchase.SalesPrice: sales price (items bought and sold)",
        )
        .choice("sales_purchase:both"),
        col(
            "income_account_list_id",
            Id,
            &["SalesAndPurchase", "IncomeAccountRef", "ListID"],
            RW,
            "SalesAndPurchase.IncomeAccountRef.ListID: income account (items bought and sold)",
        )
        .choice("sales_purchase:both"),
        col(
            "income_account_full_name",
            Str,
            &["SalesAndPurchase", "IncomeAccountRef", "FullName"],
            RW,
            "SalesAndPurchase.IncomeAccountRef.FullName: income account (items bought and sold)",
        )
        .limit(159)
        .choice("sales_purchase:both"),
        col(
            "purchase_desc",
            Str,
            &["SalesAndPurchase", "PurchaseDesc"],
            RW,
            "SalesAndPurchase.PurchaseDesc: description on purchase forms",
        )
        .limit(4095)
        .choice("sales_purchase:both"),
        col(
            "purchase_cost",
            Price,
            &["SalesAndPurchase", "PurchaseCost"],
            RW,
            "SalesAndPurchase.PurchaseCost: purchase cost",
        )
        .choice("sales_purchase:both"),
        col(
            "expense_account_list_id",
            Id,
            &["SalesAndPurchase", "ExpenseAccountRef", "ListID"],
            RW,
            "SalesAndPurchase.ExpenseAccountRef.ListID: expense or cost of goods sold account (items bought and sold)",
        )
        .choice("sales_purchase:both"),
        col(
            "expense_account_full_name",
            Str,
            &["SalesAndPurchase", "ExpenseAccountRef", "FullName"],
            RW,
            "SalesAndPurchase.ExpenseAccountRef.FullName: expense or cost of goods sold account (items bought and sold)",
        )
        .limit(159)
        .choice("sales_purchase:both"),
        col(
            "pref_vendor_list_id",
            Id,
            &["SalesAndPurchase", "PrefVendorRef", "ListID"],
            RW,
            "SalesAndPurchase.PrefVendorRef.ListID: preferred vendor (qbd.vendor)",
        )
        .choice("sales_purchase:both"),
        col(
            "pref_vendor_full_name",
            Str,
            &["SalesAndPurchase", "PrefVendorRef", "FullName"],
            RW,
            "SalesAndPurchase.PrefVendorRef.FullName: preferred vendor (qbd.vendor)",
        )
        .limit(41)
        .choice("sales_purchase:both"),
        col(
            "special_item_type",
            Enum(&["FinanceCharge", "ReimbursableExpenseGroup", "ReimbursableExpenseSubtotal"]),
            &["SpecialItemType"],
            RO,
            "SpecialItemType: set on the items QuickBooks creates itself (FinanceCharge, ...)",
        ),
    ],
    lines: &[

    ],
    mod_order: &[],
    add_required: &["Name", "SalesOrPurchase|SalesAndPurchase"],
    comment: "QuickBooks Desktop other charge items (ItemOtherChargeRet): either SalesOrPurchase (description, price, account) or SalesAndPurchase (sales_* and purchase_* columns) is set",
};
