//! The object types the company file stores, with what the rules need to know about each:
//! list or transaction, which name space its names live in, line aggregates, void/delete.

/// A stored object type (its qbXML name is [`Kind::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Account,
    Customer,
    Vendor,
    Employee,
    OtherName,
    Class,
    StandardTerms,
    PaymentMethod,
    ShipMethod,
    SalesTaxCode,
    CustomerType,
    VendorType,
    ItemService,
    ItemNonInventory,
    ItemInventory,
    ItemOtherCharge,
    ItemSalesTax,
    ItemDiscount,
    ItemSubtotal,
    Invoice,
    SalesReceipt,
    ReceivePayment,
    CreditMemo,
    Estimate,
    SalesOrder,
    Bill,
    BillPaymentCheck,
    Check,
    PurchaseOrder,
    JournalEntry,
    Deposit,
}

/// Where a list's names must be unique (§14 code 3100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// Customers, vendors, employees and other names share one name list.
    Names,
    /// All item types share one name list.
    Items,
    /// Unique within the type.
    Own,
}

/// Every kind, lists first (the order list queries and seeds use).
pub const ALL: [Kind; 31] = [
    Kind::Account,
    Kind::Customer,
    Kind::Vendor,
    Kind::Employee,
    Kind::OtherName,
    Kind::Class,
    Kind::StandardTerms,
    Kind::PaymentMethod,
    Kind::ShipMethod,
    Kind::SalesTaxCode,
    Kind::CustomerType,
    Kind::VendorType,
    Kind::ItemService,
    Kind::ItemNonInventory,
    Kind::ItemInventory,
    Kind::ItemOtherCharge,
    Kind::ItemSalesTax,
    Kind::ItemDiscount,
    Kind::ItemSubtotal,
    Kind::Invoice,
    Kind::SalesReceipt,
    Kind::ReceivePayment,
    Kind::CreditMemo,
    Kind::Estimate,
    Kind::SalesOrder,
    Kind::Bill,
    Kind::BillPaymentCheck,
    Kind::Check,
    Kind::PurchaseOrder,
    Kind::JournalEntry,
    Kind::Deposit,
];

/// Item kinds (what `ItemQueryRq` returns and `ItemRef` may point at).
pub const ITEMS: [Kind; 7] = [
    Kind::ItemService,
    Kind::ItemNonInventory,
    Kind::ItemInventory,
    Kind::ItemOtherCharge,
    Kind::ItemSalesTax,
    Kind::ItemDiscount,
    Kind::ItemSubtotal,
];

/// Entities a `PayeeEntityRef`/`EntityRef` may point at.
pub const ENTITIES: [Kind; 4] = [
    Kind::Customer,
    Kind::Vendor,
    Kind::Employee,
    Kind::OtherName,
];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Account => "Account",
            Kind::Customer => "Customer",
            Kind::Vendor => "Vendor",
            Kind::Employee => "Employee",
            Kind::OtherName => "OtherName",
            Kind::Class => "Class",
            Kind::StandardTerms => "StandardTerms",
            Kind::PaymentMethod => "PaymentMethod",
            Kind::ShipMethod => "ShipMethod",
            Kind::SalesTaxCode => "SalesTaxCode",
            Kind::CustomerType => "CustomerType",
            Kind::VendorType => "VendorType",
            Kind::ItemService => "ItemService",
            Kind::ItemNonInventory => "ItemNonInventory",
            Kind::ItemInventory => "ItemInventory",
            Kind::ItemOtherCharge => "ItemOtherCharge",
            Kind::ItemSalesTax => "ItemSalesTax",
            Kind::ItemDiscount => "ItemDiscount",
            Kind::ItemSubtotal => "ItemSubtotal",
            Kind::Invoice => "Invoice",
            Kind::SalesReceipt => "SalesReceipt",
            Kind::ReceivePayment => "ReceivePayment",
            Kind::CreditMemo => "CreditMemo",
            Kind::Estimate => "Estimate",
            Kind::SalesOrder => "SalesOrder",
            Kind::Bill => "Bill",
            Kind::BillPaymentCheck => "BillPaymentCheck",
            Kind::Check => "Check",
            Kind::PurchaseOrder => "PurchaseOrder",
            Kind::JournalEntry => "JournalEntry",
            Kind::Deposit => "Deposit",
        }
    }

    /// The kind called `name` (`Customer`), case-sensitive like qbXML.
    pub fn from_name(name: &str) -> Option<Kind> {
        ALL.iter().copied().find(|k| k.name() == name)
    }

    pub fn is_txn(self) -> bool {
        self >= Kind::Invoice
    }

    pub fn is_item(self) -> bool {
        ITEMS.contains(&self)
    }

    /// `{Kind}Ret`.
    pub fn ret(self) -> String {
        format!("{}Ret", self.name())
    }

    pub fn namespace(self) -> Namespace {
        match self {
            Kind::Customer | Kind::Vendor | Kind::Employee | Kind::OtherName => Namespace::Names,
            k if k.is_item() => Namespace::Items,
            _ => Namespace::Own,
        }
    }

    /// Whether records have `ParentRef`, `FullName` (`Parent:Child`) and `Sublevel`.
    pub fn hierarchical(self) -> bool {
        matches!(
            self,
            Kind::Account
                | Kind::Customer
                | Kind::Class
                | Kind::CustomerType
                | Kind::VendorType
                | Kind::ItemService
                | Kind::ItemNonInventory
                | Kind::ItemInventory
                | Kind::ItemOtherCharge
                | Kind::ItemDiscount
                | Kind::ItemSubtotal
        )
    }

    /// Whether the kind's Ret carries `FullName` (hierarchical lists).
    pub fn has_full_name(self) -> bool {
        self.hierarchical()
    }

    /// `TxnVoidType` values among the stored kinds (§13).
    pub fn voidable(self) -> bool {
        matches!(
            self,
            Kind::Invoice
                | Kind::SalesReceipt
                | Kind::CreditMemo
                | Kind::Bill
                | Kind::BillPaymentCheck
                | Kind::Check
                | Kind::JournalEntry
                | Kind::Deposit
        )
    }

    /// Line aggregates by base name: `InvoiceLine` → `InvoiceLineAdd`/`Mod`/`Ret`.
    pub fn lines(self) -> &'static [&'static str] {
        match self {
            Kind::Invoice => &["InvoiceLine"],
            Kind::SalesReceipt => &["SalesReceiptLine"],
            Kind::CreditMemo => &["CreditMemoLine"],
            Kind::Estimate => &["EstimateLine"],
            Kind::SalesOrder => &["SalesOrderLine"],
            Kind::PurchaseOrder => &["PurchaseOrderLine"],
            Kind::Bill | Kind::Check => &["ExpenseLine", "ItemLine"],
            Kind::Deposit => &["DepositLine"],
            _ => &[],
        }
    }

    /// Whether the kind pays other transactions through `AppliedToTxn` aggregates.
    pub fn applies(self) -> bool {
        matches!(self, Kind::ReceivePayment | Kind::BillPaymentCheck)
    }

    /// Whether QuickBooks numbers the kind's `RefNumber` itself when none is given.
    pub fn auto_ref(self) -> bool {
        matches!(
            self,
            Kind::Invoice
                | Kind::SalesReceipt
                | Kind::CreditMemo
                | Kind::Estimate
                | Kind::SalesOrder
                | Kind::PurchaseOrder
                | Kind::JournalEntry
        )
    }

    /// Whether the transaction posts to the ledger (estimates and orders do not).
    pub fn posts(self) -> bool {
        self.is_txn()
            && !matches!(
                self,
                Kind::Estimate | Kind::SalesOrder | Kind::PurchaseOrder
            )
    }

    /// The field holding the entity a transaction is for.
    pub fn entity_field(self) -> Option<&'static str> {
        match self {
            Kind::Invoice
            | Kind::SalesReceipt
            | Kind::ReceivePayment
            | Kind::CreditMemo
            | Kind::Estimate
            | Kind::SalesOrder => Some("CustomerRef"),
            Kind::Bill | Kind::PurchaseOrder => Some("VendorRef"),
            Kind::BillPaymentCheck | Kind::Check => Some("PayeeEntityRef"),
            _ => None,
        }
    }

    /// How the kind is named in 3140 messages (`QuickBooks Customer "…"`).
    pub fn label(self) -> &'static str {
        match self {
            k if k.is_item() => "Item",
            Kind::StandardTerms => "Terms",
            _ => self.name(),
        }
    }
}

/// The kinds a reference element may point at; None for references to lists the simulation
/// does not keep (they are stored as sent).
pub fn ref_targets(ref_name: &str, owner: Kind) -> Option<&'static [Kind]> {
    const ACCOUNT: &[Kind] = &[Kind::Account];
    Some(match ref_name {
        "CustomerRef" => &[Kind::Customer],
        "VendorRef" | "PrefVendorRef" | "TaxVendorRef" => &[Kind::Vendor],
        "PayeeEntityRef" | "EntityRef" => &ENTITIES,
        "SupervisorRef" => &[Kind::Employee],
        "ItemRef" => &ITEMS,
        "AccountRef"
        | "ARAccountRef"
        | "APAccountRef"
        | "DepositToAccountRef"
        | "BankAccountRef"
        | "IncomeAccountRef"
        | "ExpenseAccountRef"
        | "COGSAccountRef"
        | "AssetAccountRef"
        | "DiscountAccountRef"
        | "OverrideItemAccountRef" => ACCOUNT,
        "ClassRef" => &[Kind::Class],
        "TermsRef" => &[Kind::StandardTerms],
        "PaymentMethodRef" | "PreferredPaymentMethodRef" => &[Kind::PaymentMethod],
        "ShipMethodRef" => &[Kind::ShipMethod],
        "SalesTaxCodeRef" | "CustomerSalesTaxCodeRef" | "PurchaseTaxCodeRef" => {
            &[Kind::SalesTaxCode]
        }
        "ItemSalesTaxRef" => &[Kind::ItemSalesTax],
        "CustomerTypeRef" => &[Kind::CustomerType],
        "VendorTypeRef" => &[Kind::VendorType],
        "ParentRef" => return parent_targets(owner),
        _ => return None,
    })
}

fn parent_targets(owner: Kind) -> Option<&'static [Kind]> {
    Some(match owner {
        Kind::Account => &[Kind::Account],
        Kind::Customer => &[Kind::Customer],
        Kind::Class => &[Kind::Class],
        Kind::CustomerType => &[Kind::CustomerType],
        Kind::VendorType => &[Kind::VendorType],
        k if k.is_item() => &ITEMS,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_classes_hold() {
        for k in ALL {
            assert_eq!(Kind::from_name(k.name()), Some(k));
        }
        assert!(Kind::Invoice.is_txn() && !Kind::ItemSubtotal.is_txn());
        assert_eq!(Kind::Vendor.namespace(), Namespace::Names);
        assert_eq!(Kind::ItemInventory.namespace(), Namespace::Items);
        assert!(!Kind::ReceivePayment.voidable());
        assert_eq!(
            ref_targets("ParentRef", Kind::ItemService),
            Some(&ITEMS[..])
        );
        assert_eq!(ref_targets("TemplateRef", Kind::Invoice), None);
    }
}
