//! QuickBooks Desktop transactions and their lines.

use super::*;

const SALES_LINE_COLUMNS: &[QbdColumn] = &[
    col(
        "item_list_id",
        Id,
        &["ItemRef", "ListID"],
        RW,
        "ItemRef.ListID: item sold (qbd.item_*)",
    ),
    col(
        "item_full_name",
        Str,
        &["ItemRef", "FullName"],
        RW,
        "ItemRef.FullName: item sold (qbd.item_*)",
    ),
    col("description", Str, &["Desc"], RW, "Desc").limit(4095),
    col("quantity", Quan, &["Quantity"], RW, "Quantity"),
    col(
        "unit_of_measure",
        Str,
        &["UnitOfMeasure"],
        RW,
        "UnitOfMeasure",
    )
    .limit(31),
    col("rate", Price, &["Rate"], RW, "Rate: price per unit").choice("rate:rate"),
    col(
        "rate_percent",
        Percent,
        &["RatePercent"],
        RW,
        "RatePercent: percentage rate (discount or markup items)",
    )
    .choice("rate:percent"),
    col(
        "class_list_id",
        Id,
        &["ClassRef", "ListID"],
        RW,
        "ClassRef.ListID: class",
    ),
    col(
        "class_full_name",
        Str,
        &["ClassRef", "FullName"],
        RW,
        "ClassRef.FullName: class",
    )
    .limit(159),
    col("amount", Amt, &["Amount"], RW, "Amount of the line"),
    col("service_date", Date, &["ServiceDate"], RW, "ServiceDate"),
    col(
        "sales_tax_code_list_id",
        Id,
        &["SalesTaxCodeRef", "ListID"],
        RW,
        "SalesTaxCodeRef.ListID: sales tax code of the line",
    ),
    col(
        "sales_tax_code_full_name",
        Str,
        &["SalesTaxCodeRef", "FullName"],
        RW,
        "SalesTaxCodeRef.FullName: sales tax code of the line",
    )
    .limit(3),
    col(
        "is_taxable",
        Bool,
        &["IsTaxable"],
        AO,
        "IsTaxable (sent only on add)",
    ),
    col("other1", Str, &["Other1"], RW, "Other1: custom line field").limit(29),
    col("other2", Str, &["Other2"], RW, "Other2: custom line field").limit(29),
];

const APPLIED_TO_COLUMNS: &[QbdColumn] = &[
    col(
        "txn_id",
        Id,
        &["TxnID"],
        RW,
        "TxnID of the transaction paid (qbd.invoice/qbd.bill txn_id)",
    ),
    col(
        "txn_type",
        Enum(&[
            "ARRefundCreditCard",
            "Bill",
            "BillPaymentCheck",
            "BillPaymentCreditCard",
            "BuildAssembly",
            "Charge",
            "Check",
            "CreditCardCharge",
            "CreditCardCredit",
            "CreditMemo",
            "Deposit",
            "Estimate",
            "InventoryAdjustment",
            "Invoice",
            "ItemReceipt",
            "JournalEntry",
            "LiabilityAdjustment",
            "Paycheck",
            "PayrollLiabilityCheck",
            "PurchaseOrder",
            "ReceivePayment",
            "SalesOrder",
            "SalesReceipt",
            "SalesTaxPaymentCheck",
            "Transfer",
            "VendorCredit",
            "YTDAdjustment",
        ]),
        &["TxnType"],
        RO,
        "TxnType of the transaction paid",
    ),
    col(
        "txn_date",
        Date,
        &["TxnDate"],
        RO,
        "TxnDate of the transaction paid",
    ),
    col(
        "ref_number",
        Str,
        &["RefNumber"],
        RO,
        "RefNumber of the transaction paid",
    )
    .limit(20),
    col(
        "balance_remaining",
        Amt,
        &["BalanceRemaining"],
        RO,
        "BalanceRemaining on the transaction paid",
    ),
    col(
        "amount",
        Amt,
        &["Amount"],
        RW,
        "Amount applied (sent as PaymentAmount)",
    )
    .write(&["PaymentAmount"]),
    col(
        "discount_amount",
        Amt,
        &["DiscountAmount"],
        RW,
        "DiscountAmount taken",
    ),
    col(
        "discount_account_list_id",
        Id,
        &["DiscountAccountRef", "ListID"],
        RW,
        "DiscountAccountRef.ListID: account of the discount",
    ),
    col(
        "discount_account_full_name",
        Str,
        &["DiscountAccountRef", "FullName"],
        RW,
        "DiscountAccountRef.FullName: account of the discount",
    )
    .limit(159),
];

const ESTIMATE_LINE_COLUMNS: &[QbdColumn] = &[
    col(
        "item_list_id",
        Id,
        &["ItemRef", "ListID"],
        RW,
        "ItemRef.ListID: item sold (qbd.item_*)",
    ),
    col(
        "item_full_name",
        Str,
        &["ItemRef", "FullName"],
        RW,
        "ItemRef.FullName: item sold (qbd.item_*)",
    ),
    col("description", Str, &["Desc"], RW, "Desc").limit(4095),
    col("quantity", Quan, &["Quantity"], RW, "Quantity"),
    col(
        "unit_of_measure",
        Str,
        &["UnitOfMeasure"],
        RW,
        "UnitOfMeasure",
    )
    .limit(31),
    col("rate", Price, &["Rate"], RW, "Rate: price per unit").choice("rate:rate"),
    col(
        "rate_percent",
        Percent,
        &["RatePercent"],
        RW,
        "RatePercent: percentage rate (discount or markup items)",
    )
    .choice("rate:percent"),
    col(
        "class_list_id",
        Id,
        &["ClassRef", "ListID"],
        RW,
        "ClassRef.ListID: class",
    ),
    col(
        "class_full_name",
        Str,
        &["ClassRef", "FullName"],
        RW,
        "ClassRef.FullName: class",
    )
    .limit(159),
    col("amount", Amt, &["Amount"], RW, "Amount of the line"),
    col(
        "sales_tax_code_list_id",
        Id,
        &["SalesTaxCodeRef", "ListID"],
        RW,
        "SalesTaxCodeRef.ListID: sales tax code of the line",
    ),
    col(
        "sales_tax_code_full_name",
        Str,
        &["SalesTaxCodeRef", "FullName"],
        RW,
        "SalesTaxCodeRef.FullName: sales tax code of the line",
    )
    .limit(3),
    col("other1", Str, &["Other1"], RW, "Other1: custom line field").limit(29),
    col("other2", Str, &["Other2"], RW, "Other2: custom line field").limit(29),
];

const SALES_ORDER_LINE_COLUMNS: &[QbdColumn] = &[
    col(
        "item_list_id",
        Id,
        &["ItemRef", "ListID"],
        RW,
        "ItemRef.ListID: item sold (qbd.item_*)",
    ),
    col(
        "item_full_name",
        Str,
        &["ItemRef", "FullName"],
        RW,
        "ItemRef.FullName: item sold (qbd.item_*)",
    ),
    col("description", Str, &["Desc"], RW, "Desc").limit(4095),
    col("quantity", Quan, &["Quantity"], RW, "Quantity"),
    col(
        "unit_of_measure",
        Str,
        &["UnitOfMeasure"],
        RW,
        "UnitOfMeasure",
    )
    .limit(31),
    col("rate", Price, &["Rate"], RW, "Rate: price per unit").choice("rate:rate"),
    col(
        "rate_percent",
        Percent,
        &["RatePercent"],
        RW,
        "RatePercent: percentage rate (discount or markup items)",
    )
    .choice("rate:percent"),
    col(
        "class_list_id",
        Id,
        &["ClassRef", "ListID"],
        RW,
        "ClassRef.ListID: class",
    ),
    col(
        "class_full_name",
        Str,
        &["ClassRef", "FullName"],
        RW,
        "ClassRef.FullName: class",
    )
    .limit(159),
    col("amount", Amt, &["Amount"], RW, "Amount of the line"),
    col(
        "sales_tax_code_list_id",
        Id,
        &["SalesTaxCodeRef", "ListID"],
        RW,
        "SalesTaxCodeRef.ListID: sales tax code of the line",
    ),
    col(
        "sales_tax_code_full_name",
        Str,
        &["SalesTaxCodeRef", "FullName"],
        RW,
        "SalesTaxCodeRef.FullName: sales tax code of the line",
    )
    .limit(3),
    col(
        "invoiced",
        Quan,
        &["Invoiced"],
        RO,
        "Invoiced: quantity already invoiced",
    ),
    col(
        "is_manually_closed",
        Bool,
        &["IsManuallyClosed"],
        RW,
        "IsManuallyClosed",
    ),
    col("other1", Str, &["Other1"], RW, "Other1: custom line field").limit(29),
    col("other2", Str, &["Other2"], RW, "Other2: custom line field").limit(29),
];

const EXPENSE_LINE_COLUMNS: &[QbdColumn] = &[
    col(
        "account_list_id",
        Id,
        &["AccountRef", "ListID"],
        RW,
        "AccountRef.ListID: expense account (qbd.account)",
    ),
    col(
        "account_full_name",
        Str,
        &["AccountRef", "FullName"],
        RW,
        "AccountRef.FullName: expense account (qbd.account)",
    )
    .limit(159),
    col("amount", Amt, &["Amount"], RW, "Amount"),
    col("memo", Str, &["Memo"], RW, "Memo").limit(4095),
    col(
        "customer_list_id",
        Id,
        &["CustomerRef", "ListID"],
        RW,
        "CustomerRef.ListID: customer or job the expense is for",
    ),
    col(
        "customer_full_name",
        Str,
        &["CustomerRef", "FullName"],
        RW,
        "CustomerRef.FullName: customer or job the expense is for",
    )
    .limit(209),
    col(
        "class_list_id",
        Id,
        &["ClassRef", "ListID"],
        RW,
        "ClassRef.ListID: class",
    ),
    col(
        "class_full_name",
        Str,
        &["ClassRef", "FullName"],
        RW,
        "ClassRef.FullName: class",
    )
    .limit(159),
    col(
        "billable_status",
        Enum(&["Billable", "NotBillable", "HasBeenBilled"]),
        &["BillableStatus"],
        RW,
        "BillableStatus: Billable, NotBillable or HasBeenBilled",
    ),
];

const ITEM_LINE_COLUMNS: &[QbdColumn] = &[
    col(
        "item_list_id",
        Id,
        &["ItemRef", "ListID"],
        RW,
        "ItemRef.ListID: item bought (qbd.item_*)",
    ),
    col(
        "item_full_name",
        Str,
        &["ItemRef", "FullName"],
        RW,
        "ItemRef.FullName: item bought (qbd.item_*)",
    ),
    col("description", Str, &["Desc"], RW, "Desc").limit(4095),
    col("quantity", Quan, &["Quantity"], RW, "Quantity"),
    col(
        "unit_of_measure",
        Str,
        &["UnitOfMeasure"],
        RW,
        "UnitOfMeasure",
    )
    .limit(31),
    col("cost", Price, &["Cost"], RW, "Cost per unit"),
    col("amount", Amt, &["Amount"], RW, "Amount"),
    col(
        "customer_list_id",
        Id,
        &["CustomerRef", "ListID"],
        RW,
        "CustomerRef.ListID: customer or job the purchase is for",
    ),
    col(
        "customer_full_name",
        Str,
        &["CustomerRef", "FullName"],
        RW,
        "CustomerRef.FullName: customer or job the purchase is for",
    )
    .limit(209),
    col(
        "class_list_id",
        Id,
        &["ClassRef", "ListID"],
        RW,
        "ClassRef.ListID: class",
    ),
    col(
        "class_full_name",
        Str,
        &["ClassRef", "FullName"],
        RW,
        "ClassRef.FullName: class",
    )
    .limit(159),
    col(
        "billable_status",
        Enum(&["Billable", "NotBillable", "HasBeenBilled"]),
        &["BillableStatus"],
        RW,
        "BillableStatus: Billable, NotBillable or HasBeenBilled",
    ),
];

const PURCHASE_ORDER_LINE_COLUMNS: &[QbdColumn] = &[
    col(
        "item_list_id",
        Id,
        &["ItemRef", "ListID"],
        RW,
        "ItemRef.ListID: item ordered (qbd.item_*)",
    ),
    col(
        "item_full_name",
        Str,
        &["ItemRef", "FullName"],
        RW,
        "ItemRef.FullName: item ordered (qbd.item_*)",
    ),
    col(
        "manufacturer_part_number",
        Str,
        &["ManufacturerPartNumber"],
        RW,
        "ManufacturerPartNumber",
    )
    .limit(31),
    col("description", Str, &["Desc"], RW, "Desc").limit(4095),
    col("quantity", Quan, &["Quantity"], RW, "Quantity"),
    col(
        "unit_of_measure",
        Str,
        &["UnitOfMeasure"],
        RW,
        "UnitOfMeasure",
    )
    .limit(31),
    col("rate", Price, &["Rate"], RW, "Rate: cost per unit"),
    col(
        "class_list_id",
        Id,
        &["ClassRef", "ListID"],
        RW,
        "ClassRef.ListID: class",
    ),
    col(
        "class_full_name",
        Str,
        &["ClassRef", "FullName"],
        RW,
        "ClassRef.FullName: class",
    )
    .limit(159),
    col("amount", Amt, &["Amount"], RW, "Amount"),
    col(
        "customer_list_id",
        Id,
        &["CustomerRef", "ListID"],
        RW,
        "CustomerRef.ListID: customer or job the purchase is for",
    ),
    col(
        "customer_full_name",
        Str,
        &["CustomerRef", "FullName"],
        RW,
        "CustomerRef.FullName: customer or job the purchase is for",
    )
    .limit(209),
    col("service_date", Date, &["ServiceDate"], RW, "ServiceDate"),
    col(
        "is_manually_closed",
        Bool,
        &["IsManuallyClosed"],
        MO,
        "IsManuallyClosed (can be changed, not set on add)",
    ),
    col(
        "received_quantity",
        Quan,
        &["ReceivedQuantity"],
        RO,
        "ReceivedQuantity (QuickBooks computes it)",
    ),
    col(
        "is_billed",
        Bool,
        &["IsBilled"],
        RO,
        "IsBilled (QuickBooks computes it)",
    ),
    col("other1", Str, &["Other1"], RW, "Other1: custom line field").limit(29),
    col("other2", Str, &["Other2"], RW, "Other2: custom line field").limit(29),
];

const JOURNAL_LINE_COLUMNS: &[QbdColumn] = &[
    col(
        "account_list_id",
        Id,
        &["AccountRef", "ListID"],
        RW,
        "AccountRef.ListID: account posted to (qbd.account)",
    ),
    col(
        "account_full_name",
        Str,
        &["AccountRef", "FullName"],
        RW,
        "AccountRef.FullName: account posted to (qbd.account)",
    )
    .limit(159),
    col("amount", Amt, &["Amount"], RW, "Amount (positive)"),
    col("memo", Str, &["Memo"], RW, "Memo").limit(4095),
    col(
        "entity_list_id",
        Id,
        &["EntityRef", "ListID"],
        RW,
        "EntityRef.ListID: customer, vendor, employee or other name",
    ),
    col(
        "entity_full_name",
        Str,
        &["EntityRef", "FullName"],
        RW,
        "EntityRef.FullName: customer, vendor, employee or other name",
    )
    .limit(209),
    col(
        "class_list_id",
        Id,
        &["ClassRef", "ListID"],
        RW,
        "ClassRef.ListID: class",
    ),
    col(
        "class_full_name",
        Str,
        &["ClassRef", "FullName"],
        RW,
        "ClassRef.FullName: class",
    )
    .limit(159),
    col(
        "billable_status",
        Enum(&["Billable", "NotBillable", "HasBeenBilled"]),
        &["BillableStatus"],
        RW,
        "BillableStatus",
    ),
];

const DEPOSIT_LINE_COLUMNS: &[QbdColumn] = &[
    col(
        "txn_type",
        Enum(&["ARRefundCreditCard", "Bill", "BillPaymentCheck", "BillPaymentCreditCard", "BuildAssembly", "Charge", "Check", "CreditCardCharge", "CreditCardCredit", "CreditMemo", "Deposit", "Estimate", "InventoryAdjustment", "Invoice", "ItemReceipt", "JournalEntry", "LiabilityAdjustment", "Paycheck", "PayrollLiabilityCheck", "PurchaseOrder", "ReceivePayment", "SalesOrder", "SalesReceipt", "SalesTaxPaymentCheck", "Transfer", "VendorCredit", "YTDAdjustment"]),
        &["TxnType"],
        RO,
        "TxnType of the payment deposited (ReceivePayment, SalesReceipt, ...)",
    ),
    col(
        "payment_txn_id",
        Id,
        &["TxnID"],
        RW,
        "TxnID of the payment deposited from Undeposited Funds (sent as PaymentTxnID; when set, the other columns are not sent)",
    )
    .write(&["PaymentTxnID"])
    .choice("source:payment"),
    col(
        "payment_txn_line_id",
        Id,
        &["PaymentTxnLineID"],
        RW,
        "PaymentTxnLineID: line of the payment deposited",
    )
    .choice("source:payment"),
    col(
        "entity_list_id",
        Id,
        &["EntityRef", "ListID"],
        RW,
        "EntityRef.ListID: received from: customer, vendor, employee or other name",
    )
    .choice("source:direct"),
    col(
        "entity_full_name",
        Str,
        &["EntityRef", "FullName"],
        RW,
        "EntityRef.FullName: received from: customer, vendor, employee or other name",
    )
    .limit(209)
    .choice("source:direct"),
    col(
        "account_list_id",
        Id,
        &["AccountRef", "ListID"],
        RW,
        "AccountRef.ListID: account the deposited money comes from (required without payment_txn_id)",
    )
    .choice("source:direct"),
    col(
        "account_full_name",
        Str,
        &["AccountRef", "FullName"],
        RW,
        "AccountRef.FullName: account the deposited money comes from (required without payment_txn_id)",
    )
    .limit(159)
    .choice("source:direct"),
    col("memo", Str, &["Memo"], RW, "Memo").limit(4095).choice("source:direct"),
    col("check_number", Str, &["CheckNumber"], RW, "CheckNumber").limit(11).choice("source:direct"),
    col(
        "payment_method_list_id",
        Id,
        &["PaymentMethodRef", "ListID"],
        RW,
        "PaymentMethodRef.ListID: payment method",
    )
    .choice("source:direct"),
    col(
        "payment_method_full_name",
        Str,
        &["PaymentMethodRef", "FullName"],
        RW,
        "PaymentMethodRef.FullName: payment method",
    )
    .limit(31)
    .choice("source:direct"),
    col(
        "class_list_id",
        Id,
        &["ClassRef", "ListID"],
        RW,
        "ClassRef.ListID: class",
    )
    .choice("source:direct"),
    col(
        "class_full_name",
        Str,
        &["ClassRef", "FullName"],
        RW,
        "ClassRef.FullName: class",
    )
    .limit(159)
    .choice("source:direct"),
    col("amount", Amt, &["Amount"], RW, "Amount deposited").choice("source:direct"),
];

pub(super) const INVOICE: QbdEntity = QbdEntity {
    name: "Invoice",
    table: "invoice",
    kind: QbdKind::Txn,
    add: true,
    modify: true,
    void: true,
    delete: QbdDelete::TxnDel,
    del_type: Some("Invoice"),
    query_linked_txns: true,
    query_iterator: true,
    columns: &[
        col(
            "customer_list_id",
            Id,
            &["CustomerRef", "ListID"],
            RW,
            "CustomerRef.ListID: customer or job (qbd.customer)",
        ),
        col(
            "customer_full_name",
            Str,
            &["CustomerRef", "FullName"],
            RW,
            "CustomerRef.FullName: customer or job (qbd.customer)",
        )
        .limit(209),
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
            "ar_account_list_id",
            Id,
            &["ARAccountRef", "ListID"],
            RW,
            "ARAccountRef.ListID: accounts receivable account",
        ),
        col(
            "ar_account_full_name",
            Str,
            &["ARAccountRef", "FullName"],
            RW,
            "ARAccountRef.FullName: accounts receivable account",
        )
        .limit(159),
        col(
            "template_list_id",
            Id,
            &["TemplateRef", "ListID"],
            RW,
            "TemplateRef.ListID: form template",
        ),
        col(
            "template_full_name",
            Str,
            &["TemplateRef", "FullName"],
            RW,
            "TemplateRef.FullName: form template",
        )
        .limit(31),
        col("txn_date", Date, &["TxnDate"], RW, "TxnDate: date of the transaction"),
        col(
            "ref_number",
            Str,
            &["RefNumber"],
            RW,
            "RefNumber: the number printed on the form (not unique in QuickBooks)",
        )
        .limit(11),
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
        col("is_pending", Bool, &["IsPending"], RW, "IsPending: pending (non-posting) invoice"),
        col(
            "po_number",
            Str,
            &["PONumber"],
            RW,
            "PONumber: the customer's purchase order number",
        )
        .limit(25),
        col("terms_list_id", Id, &["TermsRef", "ListID"], RW, "TermsRef.ListID: payment terms"),
        col(
            "terms_full_name",
            Str,
            &["TermsRef", "FullName"],
            RW,
            "TermsRef.FullName: payment terms",
        )
        .limit(31),
        col("due_date", Date, &["DueDate"], RW, "DueDate"),
        col(
            "sales_rep_list_id",
            Id,
            &["SalesRepRef", "ListID"],
            RW,
            "SalesRepRef.ListID: sales rep",
        ),
        col(
            "sales_rep_full_name",
            Str,
            &["SalesRepRef", "FullName"],
            RW,
            "SalesRepRef.FullName: sales rep",
        )
        .limit(5),
        col("ship_date", Date, &["ShipDate"], RW, "ShipDate"),
        col(
            "ship_method_list_id",
            Id,
            &["ShipMethodRef", "ListID"],
            RW,
            "ShipMethodRef.ListID: shipping method",
        ),
        col(
            "ship_method_full_name",
            Str,
            &["ShipMethodRef", "FullName"],
            RW,
            "ShipMethodRef.FullName: shipping method",
        )
        .limit(15),
        col(
            "subtotal",
            Amt,
            &["Subtotal"],
            RO,
            "Subtotal before sales tax (QuickBooks computes it)",
        ),
        col(
            "item_sales_tax_list_id",
            Id,
            &["ItemSalesTaxRef", "ListID"],
            RW,
            "ItemSalesTaxRef.ListID: sales tax item or group",
        ),
        col(
            "item_sales_tax_full_name",
            Str,
            &["ItemSalesTaxRef", "FullName"],
            RW,
            "ItemSalesTaxRef.FullName: sales tax item or group",
        )
        .limit(31),
        col("sales_tax_percentage", Percent, &["SalesTaxPercentage"], RO, "SalesTaxPercentage"),
        col("sales_tax_total", Amt, &["SalesTaxTotal"], RO, "SalesTaxTotal"),
        col(
            "applied_amount",
            Amt,
            &["AppliedAmount"],
            RO,
            "AppliedAmount: payments and credits applied (negative; QuickBooks computes it)",
        ),
        col(
            "balance_remaining",
            Amt,
            &["BalanceRemaining"],
            RO,
            "BalanceRemaining: still owed (QuickBooks computes it)",
        ),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RO,
            "CurrencyRef.ListID: currency (multicurrency files; from the customer or vendor)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RO,
            "CurrencyRef.FullName: currency (multicurrency files; from the customer or vendor)",
        )
        .limit(64),
        col("memo", Str, &["Memo"], RW, "Memo: internal note").limit(4095),
        col(
            "customer_msg_list_id",
            Id,
            &["CustomerMsgRef", "ListID"],
            RW,
            "CustomerMsgRef.ListID: message printed for the customer",
        ),
        col(
            "customer_msg_full_name",
            Str,
            &["CustomerMsgRef", "FullName"],
            RW,
            "CustomerMsgRef.FullName: message printed for the customer",
        )
        .limit(101),
        col("is_to_be_printed", Bool, &["IsToBePrinted"], RW, "IsToBePrinted: queued for printing"),
        col("is_to_be_emailed", Bool, &["IsToBeEmailed"], RW, "IsToBeEmailed: queued for sending"),
        col(
            "customer_sales_tax_code_list_id",
            Id,
            &["CustomerSalesTaxCodeRef", "ListID"],
            RW,
            "CustomerSalesTaxCodeRef.ListID: customer sales tax code (Tax or Non)",
        ),
        col(
            "customer_sales_tax_code_full_name",
            Str,
            &["CustomerSalesTaxCodeRef", "FullName"],
            RW,
            "CustomerSalesTaxCodeRef.FullName: customer sales tax code (Tax or Non)",
        )
        .limit(3),
        col("other", Str, &["Other"], RW, "Other: custom field").limit(29),
        col(
            "exchange_rate",
            Float,
            &["ExchangeRate"],
            RW,
            "ExchangeRate: units of home currency per unit of the transaction currency",
        ),
        col(
            "balance_remaining_in_home_currency",
            Amt,
            &["BalanceRemainingInHomeCurrency"],
            RO,
            "BalanceRemainingInHomeCurrency",
        ),
        col("is_paid", Bool, &["IsPaid"], RO, "IsPaid (QuickBooks computes it)"),
    ],
    lines: &[
        QbdLines {
            table: "invoice_line",
            ret: "InvoiceLineRet",
            add: "InvoiceLineAdd",
            modify: "InvoiceLineMod",
            line_id: true,
            mod_fixed: &[],
            add_required: &[],
            choice: "",
            columns: SALES_LINE_COLUMNS,
            comment: "Lines of QuickBooks Desktop invoices (InvoiceLineRet; lines of item groups stay in the parent data)",
        },
    ],
    mod_order: &[],
    add_required: &["CustomerRef"],
    comment: "QuickBooks Desktop invoices (InvoiceRet)",
};

pub(super) const SALES_RECEIPT: QbdEntity = QbdEntity {
    name: "SalesReceipt",
    table: "sales_receipt",
    kind: QbdKind::Txn,
    add: true,
    modify: true,
    void: true,
    delete: QbdDelete::TxnDel,
    del_type: Some("SalesReceipt"),
    query_linked_txns: false,
    query_iterator: true,
    columns: &[
        col(
            "customer_list_id",
            Id,
            &["CustomerRef", "ListID"],
            RW,
            "CustomerRef.ListID: customer or job (qbd.customer)",
        ),
        col(
            "customer_full_name",
            Str,
            &["CustomerRef", "FullName"],
            RW,
            "CustomerRef.FullName: customer or job (qbd.customer)",
        )
        .limit(209),
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
            "template_list_id",
            Id,
            &["TemplateRef", "ListID"],
            RW,
            "TemplateRef.ListID: form template",
        ),
        col(
            "template_full_name",
            Str,
            &["TemplateRef", "FullName"],
            RW,
            "TemplateRef.FullName: form template",
        )
        .limit(31),
        col("txn_date", Date, &["TxnDate"], RW, "TxnDate: date of the transaction"),
        col(
            "ref_number",
            Str,
            &["RefNumber"],
            RW,
            "RefNumber: the number printed on the form (not unique in QuickBooks)",
        )
        .limit(11),
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
        col("is_pending", Bool, &["IsPending"], RW, "IsPending: pending (non-posting) sale"),
        col(
            "check_number",
            Str,
            &["CheckNumber"],
            RW,
            "CheckNumber: the customer's check number",
        )
        .limit(25),
        col(
            "payment_method_list_id",
            Id,
            &["PaymentMethodRef", "ListID"],
            RW,
            "PaymentMethodRef.ListID: payment method",
        ),
        col(
            "payment_method_full_name",
            Str,
            &["PaymentMethodRef", "FullName"],
            RW,
            "PaymentMethodRef.FullName: payment method",
        )
        .limit(31),
        col("due_date", Date, &["DueDate"], RW, "DueDate"),
        col(
            "sales_rep_list_id",
            Id,
            &["SalesRepRef", "ListID"],
            RW,
            "SalesRepRef.ListID: sales rep",
        ),
        col(
            "sales_rep_full_name",
            Str,
            &["SalesRepRef", "FullName"],
            RW,
            "SalesRepRef.FullName: sales rep",
        )
        .limit(5),
        col("ship_date", Date, &["ShipDate"], RW, "ShipDate"),
        col(
            "ship_method_list_id",
            Id,
            &["ShipMethodRef", "ListID"],
            RW,
            "ShipMethodRef.ListID: shipping method",
        ),
        col(
            "ship_method_full_name",
            Str,
            &["ShipMethodRef", "FullName"],
            RW,
            "ShipMethodRef.FullName: shipping method",
        )
        .limit(15),
        col(
            "subtotal",
            Amt,
            &["Subtotal"],
            RO,
            "Subtotal before sales tax (QuickBooks computes it)",
        ),
        col(
            "item_sales_tax_list_id",
            Id,
            &["ItemSalesTaxRef", "ListID"],
            RW,
            "ItemSalesTaxRef.ListID: sales tax item or group",
        ),
        col(
            "item_sales_tax_full_name",
            Str,
            &["ItemSalesTaxRef", "FullName"],
            RW,
            "ItemSalesTaxRef.FullName: sales tax item or group",
        )
        .limit(31),
        col("sales_tax_percentage", Percent, &["SalesTaxPercentage"], RO, "SalesTaxPercentage"),
        col("sales_tax_total", Amt, &["SalesTaxTotal"], RO, "SalesTaxTotal"),
        col("total_amount", Amt, &["TotalAmount"], RO, "TotalAmount (QuickBooks computes it)"),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RO,
            "CurrencyRef.ListID: currency (multicurrency files; from the customer or vendor)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RO,
            "CurrencyRef.FullName: currency (multicurrency files; from the customer or vendor)",
        )
        .limit(64),
        col("memo", Str, &["Memo"], RW, "Memo: internal note").limit(4095),
        col(
            "customer_msg_list_id",
            Id,
            &["CustomerMsgRef", "ListID"],
            RW,
            "CustomerMsgRef.ListID: message printed for the customer",
        ),
        col(
            "customer_msg_full_name",
            Str,
            &["CustomerMsgRef", "FullName"],
            RW,
            "CustomerMsgRef.FullName: message printed for the customer",
        )
        .limit(101),
        col("is_to_be_printed", Bool, &["IsToBePrinted"], RW, "IsToBePrinted: queued for printing"),
        col("is_to_be_emailed", Bool, &["IsToBeEmailed"], RW, "IsToBeEmailed: queued for sending"),
        col(
            "customer_sales_tax_code_list_id",
            Id,
            &["CustomerSalesTaxCodeRef", "ListID"],
            RW,
            "CustomerSalesTaxCodeRef.ListID: customer sales tax code (Tax or Non)",
        ),
        col(
            "customer_sales_tax_code_full_name",
            Str,
            &["CustomerSalesTaxCodeRef", "FullName"],
            RW,
            "CustomerSalesTaxCodeRef.FullName: customer sales tax code (Tax or Non)",
        )
        .limit(3),
        col(
            "deposit_to_account_list_id",
            Id,
            &["DepositToAccountRef", "ListID"],
            RW,
            "DepositToAccountRef.ListID: account the money goes to (Undeposited Funds when absent)",
        ),
        col(
            "deposit_to_account_full_name",
            Str,
            &["DepositToAccountRef", "FullName"],
            RW,
            "DepositToAccountRef.FullName: account the money goes to (Undeposited Funds when absent)",
        )
        .limit(159),
        col("other", Str, &["Other"], RW, "Other: custom field").limit(29),
        col(
            "exchange_rate",
            Float,
            &["ExchangeRate"],
            RW,
            "ExchangeRate: units of home currency per unit of the transaction currency",
        ),
        col(
            "total_amount_in_home_currency",
            Amt,
            &["TotalAmountInHomeCurrency"],
            RO,
            "TotalAmountInHomeCurrency",
        ),
    ],
    lines: &[
        QbdLines {
            table: "sales_receipt_line",
            ret: "SalesReceiptLineRet",
            add: "SalesReceiptLineAdd",
            modify: "SalesReceiptLineMod",
            line_id: true,
            mod_fixed: &[],
            add_required: &[],
            choice: "",
            columns: SALES_LINE_COLUMNS,
            comment: "Lines of QuickBooks Desktop sales receipts (SalesReceiptLineRet)",
        },
    ],
    mod_order: &[],
    add_required: &["SalesReceiptLineAdd|SalesReceiptLineGroupAdd"],
    comment: "QuickBooks Desktop sales receipts (SalesReceiptRet)",
};

pub(super) const RECEIVE_PAYMENT: QbdEntity = QbdEntity {
    name: "ReceivePayment",
    table: "receive_payment",
    kind: QbdKind::Txn,
    add: true,
    modify: true,
    void: false,
    delete: QbdDelete::TxnDel,
    del_type: Some("ReceivePayment"),
    query_linked_txns: false,
    query_iterator: true,
    columns: &[
        col(
            "customer_list_id",
            Id,
            &["CustomerRef", "ListID"],
            RW,
            "CustomerRef.ListID: customer or job (qbd.customer)",
        ),
        col(
            "customer_full_name",
            Str,
            &["CustomerRef", "FullName"],
            RW,
            "CustomerRef.FullName: customer or job (qbd.customer)",
        )
        .limit(209),
        col(
            "ar_account_list_id",
            Id,
            &["ARAccountRef", "ListID"],
            RW,
            "ARAccountRef.ListID: accounts receivable account",
        ),
        col(
            "ar_account_full_name",
            Str,
            &["ARAccountRef", "FullName"],
            RW,
            "ARAccountRef.FullName: accounts receivable account",
        )
        .limit(159),
        col("txn_date", Date, &["TxnDate"], RW, "TxnDate: date of the transaction"),
        col(
            "ref_number",
            Str,
            &["RefNumber"],
            RW,
            "RefNumber: the customer's check or reference number",
        )
        .limit(20),
        col("total_amount", Amt, &["TotalAmount"], RW, "TotalAmount received"),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RO,
            "CurrencyRef.ListID: currency (multicurrency files; from the customer or vendor)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RO,
            "CurrencyRef.FullName: currency (multicurrency files; from the customer or vendor)",
        )
        .limit(64),
        col(
            "exchange_rate",
            Float,
            &["ExchangeRate"],
            RW,
            "ExchangeRate: units of home currency per unit of the transaction currency",
        ),
        col(
            "total_amount_in_home_currency",
            Amt,
            &["TotalAmountInHomeCurrency"],
            RO,
            "TotalAmountInHomeCurrency",
        ),
        col(
            "payment_method_list_id",
            Id,
            &["PaymentMethodRef", "ListID"],
            RW,
            "PaymentMethodRef.ListID: payment method",
        ),
        col(
            "payment_method_full_name",
            Str,
            &["PaymentMethodRef", "FullName"],
            RW,
            "PaymentMethodRef.FullName: payment method",
        )
        .limit(31),
        col("memo", Str, &["Memo"], RW, "Memo: internal note").limit(4095),
        col(
            "deposit_to_account_list_id",
            Id,
            &["DepositToAccountRef", "ListID"],
            RW,
            "DepositToAccountRef.ListID: account the money goes to (Undeposited Funds when absent)",
        ),
        col(
            "deposit_to_account_full_name",
            Str,
            &["DepositToAccountRef", "FullName"],
            RW,
            "DepositToAccountRef.FullName: account the money goes to (Undeposited Funds when absent)",
        )
        .limit(159),
        col(
            "unused_payment",
            Amt,
            &["UnusedPayment"],
            RO,
            "UnusedPayment: amount not applied to any invoice",
        ),
        col("unused_credits", Amt, &["UnusedCredits"], RO, "UnusedCredits"),
        col(
            "is_auto_apply",
            Bool,
            &["IsAutoApply"],
            AO,
            "IsAutoApply: on add without applied lines, true lets QuickBooks apply the payment to the oldest invoices, false leaves it unapplied (not returned by QuickBooks)",
        )
        .choice("apply:auto"),
    ],
    lines: &[
        QbdLines {
            table: "receive_payment_applied_to",
            ret: "AppliedToTxnRet",
            add: "AppliedToTxnAdd",
            modify: "AppliedToTxnMod",
            line_id: false,
            mod_fixed: &[],
            add_required: &["TxnID"],
            choice: "apply:lines",
            columns: APPLIED_TO_COLUMNS,
            comment: "Invoices a QuickBooks Desktop customer payment is applied to (AppliedToTxnRet; keyed by the invoice txn_id, no TxnLineID)",
        },
    ],
    mod_order: &[],
    add_required: &["CustomerRef", "IsAutoApply|AppliedToTxnAdd"],
    comment: "QuickBooks Desktop customer payments (ReceivePaymentRet); they can be deleted, not voided",
};

pub(super) const CREDIT_MEMO: QbdEntity = QbdEntity {
    name: "CreditMemo",
    table: "credit_memo",
    kind: QbdKind::Txn,
    add: true,
    modify: true,
    void: true,
    delete: QbdDelete::TxnDel,
    del_type: Some("CreditMemo"),
    query_linked_txns: true,
    query_iterator: true,
    columns: &[
        col(
            "customer_list_id",
            Id,
            &["CustomerRef", "ListID"],
            RW,
            "CustomerRef.ListID: customer or job (qbd.customer)",
        ),
        col(
            "customer_full_name",
            Str,
            &["CustomerRef", "FullName"],
            RW,
            "CustomerRef.FullName: customer or job (qbd.customer)",
        )
        .limit(209),
        col(
            "class_list_id",
            Id,
            &["ClassRef", "ListID"],
            RW,
            "ClassRef.ListID: class",
        ),
        col(
            "class_full_name",
            Str,
            &["ClassRef", "FullName"],
            RW,
            "ClassRef.FullName: class",
        )
        .limit(159),
        col(
            "ar_account_list_id",
            Id,
            &["ARAccountRef", "ListID"],
            RW,
            "ARAccountRef.ListID: accounts receivable account",
        ),
        col(
            "ar_account_full_name",
            Str,
            &["ARAccountRef", "FullName"],
            RW,
            "ARAccountRef.FullName: accounts receivable account",
        )
        .limit(159),
        col(
            "template_list_id",
            Id,
            &["TemplateRef", "ListID"],
            RW,
            "TemplateRef.ListID: form template",
        ),
        col(
            "template_full_name",
            Str,
            &["TemplateRef", "FullName"],
            RW,
            "TemplateRef.FullName: form template",
        )
        .limit(31),
        col(
            "txn_date",
            Date,
            &["TxnDate"],
            RW,
            "TxnDate: date of the transaction",
        ),
        col(
            "ref_number",
            Str,
            &["RefNumber"],
            RW,
            "RefNumber: the number printed on the form (not unique in QuickBooks)",
        )
        .limit(11),
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
        col(
            "is_pending",
            Bool,
            &["IsPending"],
            RW,
            "IsPending: pending (non-posting) credit",
        ),
        col(
            "po_number",
            Str,
            &["PONumber"],
            RW,
            "PONumber: the customer's purchase order number",
        )
        .limit(25),
        col(
            "terms_list_id",
            Id,
            &["TermsRef", "ListID"],
            RW,
            "TermsRef.ListID: payment terms",
        ),
        col(
            "terms_full_name",
            Str,
            &["TermsRef", "FullName"],
            RW,
            "TermsRef.FullName: payment terms",
        )
        .limit(31),
        col("due_date", Date, &["DueDate"], RW, "DueDate"),
        col(
            "sales_rep_list_id",
            Id,
            &["SalesRepRef", "ListID"],
            RW,
            "SalesRepRef.ListID: sales rep",
        ),
        col(
            "sales_rep_full_name",
            Str,
            &["SalesRepRef", "FullName"],
            RW,
            "SalesRepRef.FullName: sales rep",
        )
        .limit(5),
        col("ship_date", Date, &["ShipDate"], RW, "ShipDate"),
        col(
            "ship_method_list_id",
            Id,
            &["ShipMethodRef", "ListID"],
            RW,
            "ShipMethodRef.ListID: shipping method",
        ),
        col(
            "ship_method_full_name",
            Str,
            &["ShipMethodRef", "FullName"],
            RW,
            "ShipMethodRef.FullName: shipping method",
        )
        .limit(15),
        col(
            "subtotal",
            Amt,
            &["Subtotal"],
            RO,
            "Subtotal before sales tax (QuickBooks computes it)",
        ),
        col(
            "item_sales_tax_list_id",
            Id,
            &["ItemSalesTaxRef", "ListID"],
            RW,
            "ItemSalesTaxRef.ListID: sales tax item or group",
        ),
        col(
            "item_sales_tax_full_name",
            Str,
            &["ItemSalesTaxRef", "FullName"],
            RW,
            "ItemSalesTaxRef.FullName: sales tax item or group",
        )
        .limit(31),
        col(
            "sales_tax_percentage",
            Percent,
            &["SalesTaxPercentage"],
            RO,
            "SalesTaxPercentage",
        ),
        col(
            "sales_tax_total",
            Amt,
            &["SalesTaxTotal"],
            RO,
            "SalesTaxTotal",
        ),
        col(
            "total_amount",
            Amt,
            &["TotalAmount"],
            RO,
            "TotalAmount of the credit (QuickBooks computes it)",
        ),
        col(
            "credit_remaining",
            Amt,
            &["CreditRemaining"],
            RO,
            "CreditRemaining: not yet applied (QuickBooks computes it)",
        ),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RO,
            "CurrencyRef.ListID: currency (multicurrency files; from the customer or vendor)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RO,
            "CurrencyRef.FullName: currency (multicurrency files; from the customer or vendor)",
        )
        .limit(64),
        col("memo", Str, &["Memo"], RW, "Memo: internal note").limit(4095),
        col(
            "customer_msg_list_id",
            Id,
            &["CustomerMsgRef", "ListID"],
            RW,
            "CustomerMsgRef.ListID: message printed for the customer",
        ),
        col(
            "customer_msg_full_name",
            Str,
            &["CustomerMsgRef", "FullName"],
            RW,
            "CustomerMsgRef.FullName: message printed for the customer",
        )
        .limit(101),
        col(
            "is_to_be_printed",
            Bool,
            &["IsToBePrinted"],
            RW,
            "IsToBePrinted: queued for printing",
        ),
        col(
            "is_to_be_emailed",
            Bool,
            &["IsToBeEmailed"],
            RW,
            "IsToBeEmailed: queued for sending",
        ),
        col(
            "customer_sales_tax_code_list_id",
            Id,
            &["CustomerSalesTaxCodeRef", "ListID"],
            RW,
            "CustomerSalesTaxCodeRef.ListID: customer sales tax code (Tax or Non)",
        ),
        col(
            "customer_sales_tax_code_full_name",
            Str,
            &["CustomerSalesTaxCodeRef", "FullName"],
            RW,
            "CustomerSalesTaxCodeRef.FullName: customer sales tax code (Tax or Non)",
        )
        .limit(3),
        col("other", Str, &["Other"], RW, "Other: custom field").limit(29),
        col(
            "exchange_rate",
            Float,
            &["ExchangeRate"],
            RW,
            "ExchangeRate: units of home currency per unit of the transaction currency",
        ),
        col(
            "credit_remaining_in_home_currency",
            Amt,
            &["CreditRemainingInHomeCurrency"],
            RO,
            "CreditRemainingInHomeCurrency",
        ),
    ],
    lines: &[QbdLines {
        table: "credit_memo_line",
        ret: "CreditMemoLineRet",
        add: "CreditMemoLineAdd",
        modify: "CreditMemoLineMod",
        line_id: true,
        mod_fixed: &[],
        add_required: &[],
        choice: "",
        columns: SALES_LINE_COLUMNS,
        comment: "Lines of QuickBooks Desktop credit memos (CreditMemoLineRet)",
    }],
    mod_order: &[],
    add_required: &["CustomerRef", "CreditMemoLineAdd|CreditMemoLineGroupAdd"],
    comment: "QuickBooks Desktop credit memos (CreditMemoRet)",
};

pub(super) const ESTIMATE: QbdEntity = QbdEntity {
    name: "Estimate",
    table: "estimate",
    kind: QbdKind::Txn,
    add: true,
    modify: true,
    void: false,
    delete: QbdDelete::TxnDel,
    del_type: Some("Estimate"),
    query_linked_txns: true,
    query_iterator: true,
    columns: &[
        col(
            "customer_list_id",
            Id,
            &["CustomerRef", "ListID"],
            RW,
            "CustomerRef.ListID: customer or job (qbd.customer)",
        ),
        col(
            "customer_full_name",
            Str,
            &["CustomerRef", "FullName"],
            RW,
            "CustomerRef.FullName: customer or job (qbd.customer)",
        )
        .limit(209),
        col(
            "class_list_id",
            Id,
            &["ClassRef", "ListID"],
            RW,
            "ClassRef.ListID: class",
        ),
        col(
            "class_full_name",
            Str,
            &["ClassRef", "FullName"],
            RW,
            "ClassRef.FullName: class",
        )
        .limit(159),
        col(
            "template_list_id",
            Id,
            &["TemplateRef", "ListID"],
            RW,
            "TemplateRef.ListID: form template",
        ),
        col(
            "template_full_name",
            Str,
            &["TemplateRef", "FullName"],
            RW,
            "TemplateRef.FullName: form template",
        )
        .limit(31),
        col(
            "txn_date",
            Date,
            &["TxnDate"],
            RW,
            "TxnDate: date of the transaction",
        ),
        col(
            "ref_number",
            Str,
            &["RefNumber"],
            RW,
            "RefNumber: the number printed on the form (not unique in QuickBooks)",
        )
        .limit(11),
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
        col(
            "is_active",
            Bool,
            &["IsActive"],
            RW,
            "IsActive: false once the estimate is closed",
        ),
        col(
            "po_number",
            Str,
            &["PONumber"],
            RW,
            "PONumber: the customer's purchase order number",
        )
        .limit(25),
        col(
            "terms_list_id",
            Id,
            &["TermsRef", "ListID"],
            RW,
            "TermsRef.ListID: payment terms",
        ),
        col(
            "terms_full_name",
            Str,
            &["TermsRef", "FullName"],
            RW,
            "TermsRef.FullName: payment terms",
        )
        .limit(31),
        col("due_date", Date, &["DueDate"], RW, "DueDate"),
        col(
            "sales_rep_list_id",
            Id,
            &["SalesRepRef", "ListID"],
            RW,
            "SalesRepRef.ListID: sales rep",
        ),
        col(
            "sales_rep_full_name",
            Str,
            &["SalesRepRef", "FullName"],
            RW,
            "SalesRepRef.FullName: sales rep",
        )
        .limit(5),
        col(
            "subtotal",
            Amt,
            &["Subtotal"],
            RO,
            "Subtotal before sales tax (QuickBooks computes it)",
        ),
        col(
            "item_sales_tax_list_id",
            Id,
            &["ItemSalesTaxRef", "ListID"],
            RW,
            "ItemSalesTaxRef.ListID: sales tax item or group",
        ),
        col(
            "item_sales_tax_full_name",
            Str,
            &["ItemSalesTaxRef", "FullName"],
            RW,
            "ItemSalesTaxRef.FullName: sales tax item or group",
        )
        .limit(31),
        col(
            "sales_tax_percentage",
            Percent,
            &["SalesTaxPercentage"],
            RO,
            "SalesTaxPercentage",
        ),
        col(
            "sales_tax_total",
            Amt,
            &["SalesTaxTotal"],
            RO,
            "SalesTaxTotal",
        ),
        col(
            "total_amount",
            Amt,
            &["TotalAmount"],
            RO,
            "TotalAmount (QuickBooks computes it)",
        ),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RO,
            "CurrencyRef.ListID: currency (multicurrency files; from the customer or vendor)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RO,
            "CurrencyRef.FullName: currency (multicurrency files; from the customer or vendor)",
        )
        .limit(64),
        col("memo", Str, &["Memo"], RW, "Memo: internal note").limit(4095),
        col(
            "customer_msg_list_id",
            Id,
            &["CustomerMsgRef", "ListID"],
            RW,
            "CustomerMsgRef.ListID: message printed for the customer",
        ),
        col(
            "customer_msg_full_name",
            Str,
            &["CustomerMsgRef", "FullName"],
            RW,
            "CustomerMsgRef.FullName: message printed for the customer",
        )
        .limit(101),
        col(
            "is_to_be_emailed",
            Bool,
            &["IsToBeEmailed"],
            RW,
            "IsToBeEmailed: queued for sending",
        ),
        col(
            "customer_sales_tax_code_list_id",
            Id,
            &["CustomerSalesTaxCodeRef", "ListID"],
            RW,
            "CustomerSalesTaxCodeRef.ListID: customer sales tax code (Tax or Non)",
        ),
        col(
            "customer_sales_tax_code_full_name",
            Str,
            &["CustomerSalesTaxCodeRef", "FullName"],
            RW,
            "CustomerSalesTaxCodeRef.FullName: customer sales tax code (Tax or Non)",
        )
        .limit(3),
        col("other", Str, &["Other"], RW, "Other: custom field").limit(29),
        col(
            "exchange_rate",
            Float,
            &["ExchangeRate"],
            RW,
            "ExchangeRate: units of home currency per unit of the transaction currency",
        ),
    ],
    lines: &[QbdLines {
        table: "estimate_line",
        ret: "EstimateLineRet",
        add: "EstimateLineAdd",
        modify: "EstimateLineMod",
        line_id: true,
        mod_fixed: &[],
        add_required: &[],
        choice: "",
        columns: ESTIMATE_LINE_COLUMNS,
        comment: "Lines of QuickBooks Desktop estimates (EstimateLineRet)",
    }],
    mod_order: &[],
    add_required: &["CustomerRef", "EstimateLineAdd|EstimateLineGroupAdd"],
    comment: "QuickBooks Desktop estimates (EstimateRet; non-posting, deleted rather than voided)",
};

pub(super) const SALES_ORDER: QbdEntity = QbdEntity {
    name: "SalesOrder",
    table: "sales_order",
    kind: QbdKind::Txn,
    add: true,
    modify: true,
    void: false,
    delete: QbdDelete::TxnDel,
    del_type: Some("SalesOrder"),
    query_linked_txns: true,
    query_iterator: true,
    columns: &[
        col(
            "customer_list_id",
            Id,
            &["CustomerRef", "ListID"],
            RW,
            "CustomerRef.ListID: customer or job (qbd.customer)",
        ),
        col(
            "customer_full_name",
            Str,
            &["CustomerRef", "FullName"],
            RW,
            "CustomerRef.FullName: customer or job (qbd.customer)",
        )
        .limit(209),
        col(
            "class_list_id",
            Id,
            &["ClassRef", "ListID"],
            RW,
            "ClassRef.ListID: class",
        ),
        col(
            "class_full_name",
            Str,
            &["ClassRef", "FullName"],
            RW,
            "ClassRef.FullName: class",
        )
        .limit(159),
        col(
            "template_list_id",
            Id,
            &["TemplateRef", "ListID"],
            RW,
            "TemplateRef.ListID: form template",
        ),
        col(
            "template_full_name",
            Str,
            &["TemplateRef", "FullName"],
            RW,
            "TemplateRef.FullName: form template",
        )
        .limit(31),
        col(
            "txn_date",
            Date,
            &["TxnDate"],
            RW,
            "TxnDate: date of the transaction",
        ),
        col(
            "ref_number",
            Str,
            &["RefNumber"],
            RW,
            "RefNumber: the number printed on the form (not unique in QuickBooks)",
        )
        .limit(11),
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
        col(
            "po_number",
            Str,
            &["PONumber"],
            RW,
            "PONumber: the customer's purchase order number",
        )
        .limit(25),
        col(
            "terms_list_id",
            Id,
            &["TermsRef", "ListID"],
            RW,
            "TermsRef.ListID: payment terms",
        ),
        col(
            "terms_full_name",
            Str,
            &["TermsRef", "FullName"],
            RW,
            "TermsRef.FullName: payment terms",
        )
        .limit(31),
        col("due_date", Date, &["DueDate"], RW, "DueDate"),
        col(
            "sales_rep_list_id",
            Id,
            &["SalesRepRef", "ListID"],
            RW,
            "SalesRepRef.ListID: sales rep",
        ),
        col(
            "sales_rep_full_name",
            Str,
            &["SalesRepRef", "FullName"],
            RW,
            "SalesRepRef.FullName: sales rep",
        )
        .limit(5),
        col("ship_date", Date, &["ShipDate"], RW, "ShipDate"),
        col(
            "ship_method_list_id",
            Id,
            &["ShipMethodRef", "ListID"],
            RW,
            "ShipMethodRef.ListID: shipping method",
        ),
        col(
            "ship_method_full_name",
            Str,
            &["ShipMethodRef", "FullName"],
            RW,
            "ShipMethodRef.FullName: shipping method",
        )
        .limit(15),
        col(
            "subtotal",
            Amt,
            &["Subtotal"],
            RO,
            "Subtotal before sales tax (QuickBooks computes it)",
        ),
        col(
            "item_sales_tax_list_id",
            Id,
            &["ItemSalesTaxRef", "ListID"],
            RW,
            "ItemSalesTaxRef.ListID: sales tax item or group",
        ),
        col(
            "item_sales_tax_full_name",
            Str,
            &["ItemSalesTaxRef", "FullName"],
            RW,
            "ItemSalesTaxRef.FullName: sales tax item or group",
        )
        .limit(31),
        col(
            "sales_tax_percentage",
            Percent,
            &["SalesTaxPercentage"],
            RO,
            "SalesTaxPercentage",
        ),
        col(
            "sales_tax_total",
            Amt,
            &["SalesTaxTotal"],
            RO,
            "SalesTaxTotal",
        ),
        col(
            "total_amount",
            Amt,
            &["TotalAmount"],
            RO,
            "TotalAmount (QuickBooks computes it)",
        ),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RO,
            "CurrencyRef.ListID: currency (multicurrency files; from the customer or vendor)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RO,
            "CurrencyRef.FullName: currency (multicurrency files; from the customer or vendor)",
        )
        .limit(64),
        col(
            "is_manually_closed",
            Bool,
            &["IsManuallyClosed"],
            RW,
            "IsManuallyClosed",
        ),
        col("memo", Str, &["Memo"], RW, "Memo: internal note").limit(4095),
        col(
            "customer_msg_list_id",
            Id,
            &["CustomerMsgRef", "ListID"],
            RW,
            "CustomerMsgRef.ListID: message printed for the customer",
        ),
        col(
            "customer_msg_full_name",
            Str,
            &["CustomerMsgRef", "FullName"],
            RW,
            "CustomerMsgRef.FullName: message printed for the customer",
        )
        .limit(101),
        col(
            "is_to_be_printed",
            Bool,
            &["IsToBePrinted"],
            RW,
            "IsToBePrinted: queued for printing",
        ),
        col(
            "is_to_be_emailed",
            Bool,
            &["IsToBeEmailed"],
            RW,
            "IsToBeEmailed: queued for sending",
        ),
        col(
            "customer_sales_tax_code_list_id",
            Id,
            &["CustomerSalesTaxCodeRef", "ListID"],
            RW,
            "CustomerSalesTaxCodeRef.ListID: customer sales tax code (Tax or Non)",
        ),
        col(
            "customer_sales_tax_code_full_name",
            Str,
            &["CustomerSalesTaxCodeRef", "FullName"],
            RW,
            "CustomerSalesTaxCodeRef.FullName: customer sales tax code (Tax or Non)",
        )
        .limit(3),
        col("other", Str, &["Other"], RW, "Other: custom field").limit(29),
        col(
            "exchange_rate",
            Float,
            &["ExchangeRate"],
            RW,
            "ExchangeRate: units of home currency per unit of the transaction currency",
        ),
        col(
            "is_fully_invoiced",
            Bool,
            &["IsFullyInvoiced"],
            RO,
            "IsFullyInvoiced (QuickBooks computes it)",
        ),
    ],
    lines: &[QbdLines {
        table: "sales_order_line",
        ret: "SalesOrderLineRet",
        add: "SalesOrderLineAdd",
        modify: "SalesOrderLineMod",
        line_id: true,
        mod_fixed: &[],
        add_required: &[],
        choice: "",
        columns: SALES_ORDER_LINE_COLUMNS,
        comment: "Lines of QuickBooks Desktop sales orders (SalesOrderLineRet)",
    }],
    mod_order: &[],
    add_required: &["CustomerRef", "SalesOrderLineAdd|SalesOrderLineGroupAdd"],
    comment:
        "QuickBooks Desktop sales orders (SalesOrderRet; non-posting, deleted rather than voided)",
};

pub(super) const BILL: QbdEntity = QbdEntity {
    name: "Bill",
    table: "bill",
    kind: QbdKind::Txn,
    add: true,
    modify: true,
    void: true,
    delete: QbdDelete::TxnDel,
    del_type: Some("Bill"),
    query_linked_txns: true,
    query_iterator: true,
    columns: &[
        col(
            "vendor_list_id",
            Id,
            &["VendorRef", "ListID"],
            RW,
            "VendorRef.ListID: vendor (qbd.vendor)",
        ),
        col(
            "vendor_full_name",
            Str,
            &["VendorRef", "FullName"],
            RW,
            "VendorRef.FullName: vendor (qbd.vendor)",
        )
        .limit(41),
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
        col(
            "ap_account_list_id",
            Id,
            &["APAccountRef", "ListID"],
            RW,
            "APAccountRef.ListID: accounts payable account",
        ),
        col(
            "ap_account_full_name",
            Str,
            &["APAccountRef", "FullName"],
            RW,
            "APAccountRef.FullName: accounts payable account",
        )
        .limit(159),
        col(
            "txn_date",
            Date,
            &["TxnDate"],
            RW,
            "TxnDate: date of the transaction",
        ),
        col("due_date", Date, &["DueDate"], RW, "DueDate"),
        col(
            "amount_due",
            Amt,
            &["AmountDue"],
            RO,
            "AmountDue: total of the bill (QuickBooks computes it)",
        ),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RO,
            "CurrencyRef.ListID: currency (multicurrency files; from the customer or vendor)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RO,
            "CurrencyRef.FullName: currency (multicurrency files; from the customer or vendor)",
        )
        .limit(64),
        col(
            "ref_number",
            Str,
            &["RefNumber"],
            RW,
            "RefNumber: the vendor's invoice number",
        )
        .limit(20),
        col(
            "terms_list_id",
            Id,
            &["TermsRef", "ListID"],
            RW,
            "TermsRef.ListID: payment terms",
        ),
        col(
            "terms_full_name",
            Str,
            &["TermsRef", "FullName"],
            RW,
            "TermsRef.FullName: payment terms",
        )
        .limit(31),
        col("memo", Str, &["Memo"], RW, "Memo: internal note").limit(4095),
        col(
            "exchange_rate",
            Float,
            &["ExchangeRate"],
            RW,
            "ExchangeRate: units of home currency per unit of the transaction currency",
        ),
        col(
            "amount_due_in_home_currency",
            Amt,
            &["AmountDueInHomeCurrency"],
            RO,
            "AmountDueInHomeCurrency",
        ),
        col(
            "is_paid",
            Bool,
            &["IsPaid"],
            RO,
            "IsPaid (QuickBooks computes it)",
        ),
        col(
            "open_amount",
            Amt,
            &["OpenAmount"],
            RO,
            "OpenAmount: still to pay (QuickBooks computes it)",
        ),
    ],
    lines: &[
        QbdLines {
            table: "bill_expense_line",
            ret: "ExpenseLineRet",
            add: "ExpenseLineAdd",
            modify: "ExpenseLineMod",
            line_id: true,
            mod_fixed: &[],
            add_required: &[],
            choice: "",
            columns: EXPENSE_LINE_COLUMNS,
            comment: "Expense (account) lines of QuickBooks Desktop bills (ExpenseLineRet)",
        },
        QbdLines {
            table: "bill_item_line",
            ret: "ItemLineRet",
            add: "ItemLineAdd",
            modify: "ItemLineMod",
            line_id: true,
            mod_fixed: &[],
            add_required: &[],
            choice: "",
            columns: ITEM_LINE_COLUMNS,
            comment: "Item lines of QuickBooks Desktop bills (ItemLineRet)",
        },
    ],
    mod_order: &[],
    add_required: &["VendorRef"],
    comment: "QuickBooks Desktop bills (BillRet)",
};

pub(super) const BILL_PAYMENT_CHECK: QbdEntity = QbdEntity {
    name: "BillPaymentCheck",
    table: "bill_payment_check",
    kind: QbdKind::Txn,
    add: true,
    modify: true,
    void: true,
    delete: QbdDelete::TxnDel,
    del_type: Some("BillPaymentCheck"),
    query_linked_txns: false,
    query_iterator: true,
    columns: &[
        col(
            "payee_list_id",
            Id,
            &["PayeeEntityRef", "ListID"],
            AO,
            "PayeeEntityRef.ListID: vendor paid (qbd.vendor)",
        ),
        col(
            "payee_full_name",
            Str,
            &["PayeeEntityRef", "FullName"],
            AO,
            "PayeeEntityRef.FullName: vendor paid (qbd.vendor)",
        )
        .limit(209),
        col(
            "ap_account_list_id",
            Id,
            &["APAccountRef", "ListID"],
            AO,
            "APAccountRef.ListID: accounts payable account",
        ),
        col(
            "ap_account_full_name",
            Str,
            &["APAccountRef", "FullName"],
            AO,
            "APAccountRef.FullName: accounts payable account",
        )
        .limit(159),
        col("txn_date", Date, &["TxnDate"], RW, "TxnDate: date of the transaction"),
        col(
            "bank_account_list_id",
            Id,
            &["BankAccountRef", "ListID"],
            RW,
            "BankAccountRef.ListID: bank account the check is drawn on",
        ),
        col(
            "bank_account_full_name",
            Str,
            &["BankAccountRef", "FullName"],
            RW,
            "BankAccountRef.FullName: bank account the check is drawn on",
        )
        .limit(159),
        col(
            "amount",
            Amt,
            &["Amount"],
            MO,
            "Amount of the check (QuickBooks computes it from the applied lines on add)",
        ),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RO,
            "CurrencyRef.ListID: currency (multicurrency files; from the customer or vendor)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RO,
            "CurrencyRef.FullName: currency (multicurrency files; from the customer or vendor)",
        )
        .limit(64),
        col(
            "ref_number",
            Str,
            &["RefNumber"],
            RW,
            "RefNumber: check number (either it or is_to_be_printed is sent)",
        )
        .limit(11)
        .choice("number:ref"),
        col(
            "is_to_be_printed",
            Bool,
            &["IsToBePrinted"],
            RW,
            "IsToBePrinted: check queued for printing (sent only when ref_number is empty)",
        )
        .choice("number:print"),
        col("memo", Str, &["Memo"], RW, "Memo: internal note").limit(4095),
        col(
            "exchange_rate",
            Float,
            &["ExchangeRate"],
            RW,
            "ExchangeRate: units of home currency per unit of the transaction currency",
        ),
        col("amount_in_home_currency", Amt, &["AmountInHomeCurrency"], RO, "AmountInHomeCurrency"),
    ],
    lines: &[
        QbdLines {
            table: "bill_payment_check_applied_to",
            ret: "AppliedToTxnRet",
            add: "AppliedToTxnAdd",
            modify: "AppliedToTxnMod",
            line_id: false,
            mod_fixed: &[],
            add_required: &["TxnID"],
            choice: "",
            columns: APPLIED_TO_COLUMNS,
            comment: "Bills a QuickBooks Desktop bill payment check pays (AppliedToTxnRet; keyed by the bill txn_id, no TxnLineID)",
        },
    ],
    mod_order: &["TxnDate", "BankAccountRef", "Amount", "ExchangeRate", "IsToBePrinted", "RefNumber", "Memo"],
    add_required: &["PayeeEntityRef", "BankAccountRef", "IsToBePrinted|RefNumber", "AppliedToTxnAdd"],
    comment: "QuickBooks Desktop bill payments by check (BillPaymentCheckRet)",
};

pub(super) const CHECK: QbdEntity = QbdEntity {
    name: "Check",
    table: "check",
    kind: QbdKind::Txn,
    add: true,
    modify: true,
    void: true,
    delete: QbdDelete::TxnDel,
    del_type: Some("Check"),
    query_linked_txns: true,
    query_iterator: true,
    columns: &[
        col(
            "account_list_id",
            Id,
            &["AccountRef", "ListID"],
            RW,
            "AccountRef.ListID: bank account the check is drawn on",
        ),
        col(
            "account_full_name",
            Str,
            &["AccountRef", "FullName"],
            RW,
            "AccountRef.FullName: bank account the check is drawn on",
        )
        .limit(159),
        col(
            "payee_list_id",
            Id,
            &["PayeeEntityRef", "ListID"],
            RW,
            "PayeeEntityRef.ListID: payee: vendor, customer, employee or other name",
        ),
        col(
            "payee_full_name",
            Str,
            &["PayeeEntityRef", "FullName"],
            RW,
            "PayeeEntityRef.FullName: payee: vendor, customer, employee or other name",
        )
        .limit(209),
        col(
            "ref_number",
            Str,
            &["RefNumber"],
            RW,
            "RefNumber: check number",
        )
        .limit(11),
        col(
            "txn_date",
            Date,
            &["TxnDate"],
            RW,
            "TxnDate: date of the transaction",
        ),
        col(
            "amount",
            Amt,
            &["Amount"],
            RO,
            "Amount of the check (QuickBooks computes it from the lines)",
        ),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RO,
            "CurrencyRef.ListID: currency (multicurrency files; from the customer or vendor)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RO,
            "CurrencyRef.FullName: currency (multicurrency files; from the customer or vendor)",
        )
        .limit(64),
        col("memo", Str, &["Memo"], RW, "Memo: internal note").limit(4095),
        col(
            "address_addr1",
            Str,
            &["Address", "Addr1"],
            RW,
            "Address.Addr1: payee address printed on the check",
        )
        .limit(41),
        col(
            "address_addr2",
            Str,
            &["Address", "Addr2"],
            RW,
            "Address.Addr2: payee address printed on the check",
        )
        .limit(41),
        col(
            "address_addr3",
            Str,
            &["Address", "Addr3"],
            RW,
            "Address.Addr3: payee address printed on the check",
        )
        .limit(41),
        col(
            "address_city",
            Str,
            &["Address", "City"],
            RW,
            "Address.City: payee address printed on the check",
        )
        .limit(31),
        col(
            "address_state",
            Str,
            &["Address", "State"],
            RW,
            "Address.State: payee address printed on the check",
        )
        .limit(21),
        col(
            "address_postal_code",
            Str,
            &["Address", "PostalCode"],
            RW,
            "Address.PostalCode: payee address printed on the check",
        )
        .limit(13),
        col(
            "address_country",
            Str,
            &["Address", "Country"],
            RW,
            "Address.Country: payee address printed on the check",
        )
        .limit(31),
        col(
            "is_to_be_printed",
            Bool,
            &["IsToBePrinted"],
            RW,
            "IsToBePrinted: queued for printing",
        ),
        col(
            "exchange_rate",
            Float,
            &["ExchangeRate"],
            RW,
            "ExchangeRate: units of home currency per unit of the transaction currency",
        ),
        col(
            "amount_in_home_currency",
            Amt,
            &["AmountInHomeCurrency"],
            RO,
            "AmountInHomeCurrency",
        ),
    ],
    lines: &[
        QbdLines {
            table: "check_expense_line",
            ret: "ExpenseLineRet",
            add: "ExpenseLineAdd",
            modify: "ExpenseLineMod",
            line_id: true,
            mod_fixed: &[],
            add_required: &[],
            choice: "",
            columns: EXPENSE_LINE_COLUMNS,
            comment: "Expense (account) lines of QuickBooks Desktop checks (ExpenseLineRet)",
        },
        QbdLines {
            table: "check_item_line",
            ret: "ItemLineRet",
            add: "ItemLineAdd",
            modify: "ItemLineMod",
            line_id: true,
            mod_fixed: &[],
            add_required: &[],
            choice: "",
            columns: ITEM_LINE_COLUMNS,
            comment: "Item lines of QuickBooks Desktop checks (ItemLineRet)",
        },
    ],
    mod_order: &[],
    add_required: &["AccountRef"],
    comment: "QuickBooks Desktop checks written (CheckRet)",
};

pub(super) const PURCHASE_ORDER: QbdEntity = QbdEntity {
    name: "PurchaseOrder",
    table: "purchase_order",
    kind: QbdKind::Txn,
    add: true,
    modify: true,
    void: false,
    delete: QbdDelete::TxnDel,
    del_type: Some("PurchaseOrder"),
    query_linked_txns: true,
    query_iterator: true,
    columns: &[
        col(
            "vendor_list_id",
            Id,
            &["VendorRef", "ListID"],
            RW,
            "VendorRef.ListID: vendor (qbd.vendor)",
        ),
        col(
            "vendor_full_name",
            Str,
            &["VendorRef", "FullName"],
            RW,
            "VendorRef.FullName: vendor (qbd.vendor)",
        )
        .limit(41),
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
            "ship_to_entity_list_id",
            Id,
            &["ShipToEntityRef", "ListID"],
            RW,
            "ShipToEntityRef.ListID: customer, vendor, employee or other name shipped to",
        ),
        col(
            "ship_to_entity_full_name",
            Str,
            &["ShipToEntityRef", "FullName"],
            RW,
            "ShipToEntityRef.FullName: customer, vendor, employee or other name shipped to",
        )
        .limit(209),
        col(
            "template_list_id",
            Id,
            &["TemplateRef", "ListID"],
            RW,
            "TemplateRef.ListID: form template",
        ),
        col(
            "template_full_name",
            Str,
            &["TemplateRef", "FullName"],
            RW,
            "TemplateRef.FullName: form template",
        )
        .limit(31),
        col("txn_date", Date, &["TxnDate"], RW, "TxnDate: date of the transaction"),
        col(
            "ref_number",
            Str,
            &["RefNumber"],
            RW,
            "RefNumber: the number printed on the form (not unique in QuickBooks)",
        )
        .limit(11),
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
        col(
            "ship_addr1",
            Str,
            &["ShipAddress", "Addr1"],
            RW,
            "ShipAddress.Addr1: ship-to address",
        )
        .limit(41),
        col(
            "ship_addr2",
            Str,
            &["ShipAddress", "Addr2"],
            RW,
            "ShipAddress.Addr2: ship-to address",
        )
        .limit(41),
        col(
            "ship_addr3",
            Str,
            &["ShipAddress", "Addr3"],
            RW,
            "ShipAddress.Addr3: ship-to address",
        )
        .limit(41),
        col(
            "ship_city",
            Str,
            &["ShipAddress", "City"],
            RW,
            "ShipAddress.City: ship-to address",
        )
        .limit(31),
        col(
            "ship_state",
            Str,
            &["ShipAddress", "State"],
            RW,
            "ShipAddress.State: ship-to address",
        )
        .limit(21),
        col(
            "ship_postal_code",
            Str,
            &["ShipAddress", "PostalCode"],
            RW,
            "ShipAddress.PostalCode: ship-to address",
        )
        .limit(13),
        col(
            "ship_country",
            Str,
            &["ShipAddress", "Country"],
            RW,
            "ShipAddress.Country: ship-to address",
        )
        .limit(31),
        col("terms_list_id", Id, &["TermsRef", "ListID"], RW, "TermsRef.ListID: payment terms"),
        col(
            "terms_full_name",
            Str,
            &["TermsRef", "FullName"],
            RW,
            "TermsRef.FullName: payment terms",
        )
        .limit(31),
        col("due_date", Date, &["DueDate"], RW, "DueDate"),
        col("expected_date", Date, &["ExpectedDate"], RW, "ExpectedDate: expected delivery"),
        col(
            "ship_method_list_id",
            Id,
            &["ShipMethodRef", "ListID"],
            RW,
            "ShipMethodRef.ListID: shipping method",
        ),
        col(
            "ship_method_full_name",
            Str,
            &["ShipMethodRef", "FullName"],
            RW,
            "ShipMethodRef.FullName: shipping method",
        )
        .limit(15),
        col("fob", Str, &["FOB"], RW, "FOB").limit(13),
        col(
            "is_manually_closed",
            Bool,
            &["IsManuallyClosed"],
            MO,
            "IsManuallyClosed (can be changed, not set on add)",
        ),
        col("total_amount", Amt, &["TotalAmount"], RO, "TotalAmount (QuickBooks computes it)"),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RO,
            "CurrencyRef.ListID: currency (multicurrency files; from the customer or vendor)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RO,
            "CurrencyRef.FullName: currency (multicurrency files; from the customer or vendor)",
        )
        .limit(64),
        col("memo", Str, &["Memo"], RW, "Memo: internal note").limit(4095),
        col(
            "vendor_msg",
            Str,
            &["VendorMsg"],
            RW,
            "VendorMsg: message printed for the vendor",
        )
        .limit(99),
        col("is_to_be_printed", Bool, &["IsToBePrinted"], RW, "IsToBePrinted: queued for printing"),
        col("is_to_be_emailed", Bool, &["IsToBeEmailed"], RW, "IsToBeEmailed: queued for sending"),
        col("other1", Str, &["Other1"], RW, "Other1: custom field").limit(25),
        col("other2", Str, &["Other2"], RW, "Other2: custom field").limit(29),
        col(
            "exchange_rate",
            Float,
            &["ExchangeRate"],
            RW,
            "ExchangeRate: units of home currency per unit of the transaction currency",
        ),
        col(
            "is_fully_received",
            Bool,
            &["IsFullyReceived"],
            RO,
            "IsFullyReceived (QuickBooks computes it)",
        ),
    ],
    lines: &[
        QbdLines {
            table: "purchase_order_line",
            ret: "PurchaseOrderLineRet",
            add: "PurchaseOrderLineAdd",
            modify: "PurchaseOrderLineMod",
            line_id: true,
            mod_fixed: &[],
            add_required: &[],
            choice: "",
            columns: PURCHASE_ORDER_LINE_COLUMNS,
            comment: "Lines of QuickBooks Desktop purchase orders (PurchaseOrderLineRet)",
        },
    ],
    mod_order: &[],
    add_required: &["PurchaseOrderLineAdd|PurchaseOrderLineGroupAdd"],
    comment: "QuickBooks Desktop purchase orders (PurchaseOrderRet; non-posting, deleted rather than voided)",
};

pub(super) const JOURNAL_ENTRY: QbdEntity = QbdEntity {
    name: "JournalEntry",
    table: "journal_entry",
    kind: QbdKind::Txn,
    add: true,
    modify: true,
    void: true,
    delete: QbdDelete::TxnDel,
    del_type: Some("JournalEntry"),
    query_linked_txns: false,
    query_iterator: true,
    columns: &[
        col("txn_date", Date, &["TxnDate"], RW, "TxnDate: date of the transaction"),
        col("ref_number", Str, &["RefNumber"], RW, "RefNumber: entry number").limit(11),
        col(
            "memo",
            Str,
            &["Memo"],
            AO,
            "Memo of the entry (sent only on add: JournalEntryMod has no Memo)",
        ),
        col("is_adjustment", Bool, &["IsAdjustment"], RW, "IsAdjustment: adjusting entry"),
        col(
            "is_amounts_entered_in_home_currency",
            Bool,
            &["IsAmountsEnteredInHomeCurrency"],
            RW,
            "IsAmountsEnteredInHomeCurrency",
        ),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RW,
            "CurrencyRef.ListID: currency of the entry (multicurrency files)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RW,
            "CurrencyRef.FullName: currency of the entry (multicurrency files)",
        )
        .limit(64),
        col(
            "exchange_rate",
            Float,
            &["ExchangeRate"],
            RW,
            "ExchangeRate: units of home currency per unit of the transaction currency",
        ),
    ],
    lines: &[
        QbdLines {
            table: "journal_entry_debit_line",
            ret: "JournalDebitLine",
            add: "JournalDebitLine",
            modify: "JournalLineMod",
            line_id: true,
            mod_fixed: &[("JournalLineType", "Debit")],
            add_required: &[],
            choice: "",
            columns: JOURNAL_LINE_COLUMNS,
            comment: "Debit lines of QuickBooks Desktop journal entries (JournalDebitLine; sent as JournalLineMod with JournalLineType Debit on update)",
        },
        QbdLines {
            table: "journal_entry_credit_line",
            ret: "JournalCreditLine",
            add: "JournalCreditLine",
            modify: "JournalLineMod",
            line_id: true,
            mod_fixed: &[("JournalLineType", "Credit")],
            add_required: &[],
            choice: "",
            columns: JOURNAL_LINE_COLUMNS,
            comment: "Credit lines of QuickBooks Desktop journal entries (JournalCreditLine; sent as JournalLineMod with JournalLineType Credit on update)",
        },
    ],
    mod_order: &[],
    add_required: &["JournalDebitLine|JournalCreditLine"],
    comment: "QuickBooks Desktop general journal entries (JournalEntryRet); debits and credits must balance",
};

pub(super) const DEPOSIT: QbdEntity = QbdEntity {
    name: "Deposit",
    table: "deposit",
    kind: QbdKind::Txn,
    add: true,
    modify: true,
    void: true,
    delete: QbdDelete::TxnDel,
    del_type: Some("Deposit"),
    query_linked_txns: false,
    query_iterator: true,
    columns: &[
        col("txn_date", Date, &["TxnDate"], RW, "TxnDate: date of the transaction"),
        col(
            "deposit_to_account_list_id",
            Id,
            &["DepositToAccountRef", "ListID"],
            RW,
            "DepositToAccountRef.ListID: bank account deposited to",
        ),
        col(
            "deposit_to_account_full_name",
            Str,
            &["DepositToAccountRef", "FullName"],
            RW,
            "DepositToAccountRef.FullName: bank account deposited to",
        )
        .limit(159),
        col("memo", Str, &["Memo"], RW, "Memo: internal note").limit(4095),
        col("deposit_total", Amt, &["DepositTotal"], RO, "DepositTotal (QuickBooks computes it)"),
        col(
            "currency_list_id",
            Id,
            &["CurrencyRef", "ListID"],
            RW,
            "CurrencyRef.ListID: currency (multicurrency files)",
        ),
        col(
            "currency_full_name",
            Str,
            &["CurrencyRef", "FullName"],
            RW,
            "CurrencyRef.FullName: currency (multicurrency files)",
        )
        .limit(64),
        col(
            "exchange_rate",
            Float,
            &["ExchangeRate"],
            RW,
            "ExchangeRate: units of home currency per unit of the transaction currency",
        ),
        col(
            "deposit_total_in_home_currency",
            Amt,
            &["DepositTotalInHomeCurrency"],
            RO,
            "DepositTotalInHomeCurrency",
        ),
    ],
    lines: &[
        QbdLines {
            table: "deposit_line",
            ret: "DepositLineRet",
            add: "DepositLineAdd",
            modify: "DepositLineMod",
            line_id: true,
            mod_fixed: &[],
            add_required: &["PaymentTxnID|AccountRef"],
            choice: "",
            columns: DEPOSIT_LINE_COLUMNS,
            comment: "Lines of QuickBooks Desktop deposits (DepositLineRet): a payment from Undeposited Funds (payment_txn_id) or money from an account",
        },
    ],
    mod_order: &[],
    add_required: &["DepositToAccountRef"],
    comment: "QuickBooks Desktop bank deposits (DepositRet)",
};
