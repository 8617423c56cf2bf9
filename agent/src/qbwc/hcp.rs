//! The first `sendRequestXML` of a session carries QuickBooks' answers to Host, Company and
//! Preferences queries (strHCPResponse): which qbXML versions the host speaks, the company's
//! name, and the FileID the Web Connector stamped into the file for our OwnerID.

use qbsync_qbxml::Element;

/// The qbXML version of every request qbsync sends.
pub const QBXML_VERSION: (u32, u32) = (13, 0);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostInfo {
    pub product: Option<String>,
    /// Supported qbXML versions as (major, minor).
    pub versions: Vec<(u32, u32)>,
    pub company_name: Option<String>,
    /// FileID DataExt values by OwnerID.
    pub file_ids: Vec<(String, String)>,
}

impl HostInfo {
    /// The file's FileID stamped under `owner_id` (GUIDs compare without case).
    pub fn file_id(&self, owner_id: &str) -> Option<&str> {
        self.file_ids
            .iter()
            .find(|(o, _)| o.eq_ignore_ascii_case(owner_id))
            .map(|(_, f)| f.as_str())
    }

    /// The qbXML version qbsync's requests declare, when the host speaks it: qbsync emits 13.0
    /// documents (validated against the 13.0 XSD), and a host must never get a version it does
    /// not advertise (reference sheet §5).
    pub fn version(&self) -> Option<(u32, u32)> {
        self.versions.iter().copied().find(|v| *v == QBXML_VERSION)
    }
}

fn version(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.trim().split_once('.').unwrap_or((s.trim(), "0"));
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Reads the HCP response leniently: missing parts are left empty.
pub fn parse(hcp: &str) -> Result<HostInfo, qbsync_qbxml::XmlError> {
    let root = Element::parse(hcp)?;
    let mut info = HostInfo::default();
    let Some(msgs) = root.find("QBXMLMsgsRs") else {
        return Ok(info);
    };
    if let Some(host) = msgs.path(&["HostQueryRs", "HostRet"]) {
        info.product = host.child_text("ProductName").map(str::to_owned);
        info.versions = host
            .find_all("SupportedQBXMLVersion")
            .filter_map(|v| version(&v.text))
            .collect();
    }
    if let Some(company) = msgs.path(&["CompanyQueryRs", "CompanyRet"]) {
        info.company_name = company.child_text("CompanyName").map(str::to_owned);
        for ext in company.find_all("DataExtRet") {
            if ext.child_text("DataExtName") == Some("FileID") {
                if let (Some(owner), Some(value)) =
                    (ext.child_text("OwnerID"), ext.child_text("DataExtValue"))
                {
                    info.file_ids.push((owner.to_owned(), value.to_owned()));
                }
            }
        }
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_company_and_file_id() {
        let hcp = r#"<?xml version="1.0" ?>
<QBXML>
<QBXMLMsgsRs>
<HostQueryRs requestID="0" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<HostRet><ProductName>QuickBooks Pro 2014</ProductName><MajorVersion>24</MajorVersion><MinorVersion>0</MinorVersion>
<Country>US</Country><SupportedQBXMLVersion>1.0</SupportedQBXMLVersion><SupportedQBXMLVersion>13.0</SupportedQBXMLVersion>
<SupportedQBXMLVersion>16.0</SupportedQBXMLVersion><IsAutomaticLogin>false</IsAutomaticLogin><QBFileMode>SingleUser</QBFileMode></HostRet>
</HostQueryRs>
<CompanyQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<CompanyRet><IsSampleCompany>false</IsSampleCompany><CompanyName>Rock Castle</CompanyName>
<DataExtRet><OwnerID>{87EDAAF8-637E-4203-867F-4BA79C2F8998}</OwnerID><DataExtName>FileID</DataExtName>
<DataExtType>STR255TYPE</DataExtType><DataExtValue>{CA1C3EB8-1B61-4747-A743-8D5B438B83AC}</DataExtValue></DataExtRet>
</CompanyRet>
</CompanyQueryRs>
</QBXMLMsgsRs>
</QBXML>"#;
        let info = parse(hcp).expect("parse");
        assert_eq!(info.company_name.as_deref(), Some("Rock Castle"));
        assert_eq!(info.version(), Some((13, 0)));
        assert_eq!(
            info.file_id("{87edaaf8-637e-4203-867f-4ba79c2f8998}"),
            Some("{CA1C3EB8-1B61-4747-A743-8D5B438B83AC}")
        );
        assert!(parse("not xml").is_err());
    }
}
