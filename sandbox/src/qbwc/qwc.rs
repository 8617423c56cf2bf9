//! The .QWC file (reference §6): what an application hands the Web Connector to register it.
//! Parsed and checked the way QBWC checks it when the file is added.

use qbsync_qbxml::Element;
use std::time::Duration;

/// `QBType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QbType {
    /// QuickBooks Financial.
    Qbfs,
    /// QuickBooks Point of Sale.
    Qbpos,
}

/// `Style` (`Document` when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Document,
    Rpc,
    DocWrapped,
}

/// `Scheduler`: `RunEveryNMinutes` or `RunEveryNSeconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEvery {
    Minutes(u32),
    Seconds(u32),
}

impl RunEvery {
    pub fn interval(&self) -> Duration {
        match *self {
            RunEvery::Minutes(m) => Duration::from_secs(u64::from(m) * 60),
            RunEvery::Seconds(s) => Duration::from_secs(u64::from(s)),
        }
    }
}

/// The settings of a .QWC document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QwcFile {
    pub app_name: String,
    /// Optional, may be empty.
    pub app_id: String,
    pub app_url: String,
    pub app_description: String,
    pub app_support: Option<String>,
    /// Sent as `strUserName` (the password is entered in QBWC, never in the file).
    pub user_name: String,
    /// `{8-4-4-4-12}` GUID of the application.
    pub owner_id: String,
    /// `{8-4-4-4-12}` GUID stamped into the company file.
    pub file_id: String,
    pub qb_type: QbType,
    pub style: Style,
    pub scheduler: Option<RunEvery>,
    pub is_read_only: bool,
    /// `AuthFlags` bitmask (`0xF` = SimpleStart, Pro, Premier, Enterprise).
    pub auth_flags: Option<u32>,
    pub personal_data_pref: Option<String>,
    pub unattended_mode_pref: Option<String>,
    pub notify: Option<bool>,
    pub app_display_name: Option<String>,
    pub app_unique_name: Option<String>,
    pub cert_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QwcError {
    #[error("the .QWC file is not well-formed XML: {0}")]
    Xml(String),
    #[error("the root element is <{0}>, expected <QBWCXML>")]
    Root(String),
    #[error("<{0}> is missing or empty")]
    Missing(&'static str),
    #[error("<{element}> has an invalid value {value:?}: {reason}")]
    Invalid {
        element: &'static str,
        value: String,
        reason: &'static str,
    },
}

impl QwcFile {
    /// Parses and checks a .QWC document.
    pub fn parse(xml: &str) -> Result<QwcFile, QwcError> {
        let root = Element::parse(xml).map_err(|e| QwcError::Xml(e.to_string()))?;
        if root.name != "QBWCXML" {
            return Err(QwcError::Root(root.name));
        }
        let opt = |name: &str| root.child_text(name).map(|t| t.trim().to_string());
        let required = |name: &'static str| {
            opt(name)
                .filter(|t| !t.is_empty())
                .ok_or(QwcError::Missing(name))
        };
        let invalid =
            |element: &'static str, value: &str, reason: &'static str| QwcError::Invalid {
                element,
                value: value.to_string(),
                reason,
            };

        let app_name = required("AppName")?;
        let app_url = required("AppURL")?;
        let url = reqwest::Url::parse(&app_url)
            .map_err(|_| invalid("AppURL", &app_url, "not an absolute URL"))?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        match url.scheme() {
            "https" => {}
            "http" if is_local(&host) => {}
            "http" => {
                return Err(invalid(
                    "AppURL",
                    &app_url,
                    "must be https:// unless the host is localhost",
                ))
            }
            _ => return Err(invalid("AppURL", &app_url, "must be an http(s) URL")),
        }
        let app_support = opt("AppSupport").filter(|s| !s.is_empty());
        if let Some(support) = &app_support {
            let s = reqwest::Url::parse(support)
                .map_err(|_| invalid("AppSupport", support, "not an absolute URL"))?;
            let support_host = s.host_str().unwrap_or_default().to_ascii_lowercase();
            if support_host != host {
                return Err(invalid(
                    "AppSupport",
                    support,
                    "its domain must match AppURL's",
                ));
            }
        }
        let user_name = required("UserName")?;
        let owner_id = required("OwnerID")?;
        if !is_braced_guid(&owner_id) {
            return Err(invalid(
                "OwnerID",
                &owner_id,
                "expected a GUID {8-4-4-4-12}",
            ));
        }
        let file_id = required("FileID")?;
        if !is_braced_guid(&file_id) {
            return Err(invalid("FileID", &file_id, "expected a GUID {8-4-4-4-12}"));
        }
        let qb_type = match required("QBType")?.as_str() {
            "QBFS" => QbType::Qbfs,
            "QBPOS" => QbType::Qbpos,
            other => return Err(invalid("QBType", other, "expected QBFS or QBPOS")),
        };
        let style = match opt("Style").as_deref() {
            None | Some("") | Some("Document") => Style::Document,
            Some("RPC") => Style::Rpc,
            Some("DocWrapped") => Style::DocWrapped,
            Some(other) => {
                return Err(invalid(
                    "Style",
                    other,
                    "expected Document, RPC or DocWrapped",
                ))
            }
        };
        let scheduler = match root.find("Scheduler") {
            None => None,
            Some(s) => {
                let positive = |element: &'static str, v: &str| {
                    v.trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| invalid(element, v, "expected an integer >= 1"))
                };
                if let Some(m) = s.child_text("RunEveryNMinutes") {
                    Some(RunEvery::Minutes(positive("RunEveryNMinutes", m)?))
                } else if let Some(sec) = s.child_text("RunEveryNSeconds") {
                    Some(RunEvery::Seconds(positive("RunEveryNSeconds", sec)?))
                } else {
                    return Err(QwcError::Missing("RunEveryNMinutes"));
                }
            }
        };
        let boolean = |element: &'static str| -> Result<Option<bool>, QwcError> {
            match opt(element).as_deref() {
                None | Some("") => Ok(None),
                Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
                Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
                Some(v) => Err(invalid(element, v, "expected true or false")),
            }
        };
        let is_read_only = boolean("IsReadOnly")?.unwrap_or(false);
        let notify = boolean("Notify")?;
        let auth_flags = match opt("AuthFlags").filter(|s| !s.is_empty()) {
            None => None,
            Some(v) => {
                let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => v.parse::<u32>().ok(),
                };
                Some(
                    parsed
                        .ok_or_else(|| invalid("AuthFlags", &v, "expected a bitmask like 0xF"))?,
                )
            }
        };
        let personal_data_pref = opt("PersonalDataPref").filter(|s| !s.is_empty());
        if let Some(p) = &personal_data_pref {
            if !["pdpNotNeeded", "pdpOptional", "pdpRequired"].contains(&p.as_str()) {
                return Err(invalid(
                    "PersonalDataPref",
                    p,
                    "expected pdpNotNeeded, pdpOptional or pdpRequired",
                ));
            }
        }
        let unattended_mode_pref = opt("UnattendedModePref").filter(|s| !s.is_empty());
        if let Some(p) = &unattended_mode_pref {
            if !["umpRequired", "umpOptional"].contains(&p.as_str()) {
                return Err(invalid(
                    "UnattendedModePref",
                    p,
                    "expected umpRequired or umpOptional",
                ));
            }
        }
        Ok(QwcFile {
            app_name,
            app_id: opt("AppID").unwrap_or_default(),
            app_url,
            app_description: opt("AppDescription").unwrap_or_default(),
            app_support,
            user_name,
            owner_id,
            file_id,
            qb_type,
            style,
            scheduler,
            is_read_only,
            auth_flags,
            personal_data_pref,
            unattended_mode_pref,
            notify,
            app_display_name: opt("AppDisplayName").filter(|s| !s.is_empty()),
            app_unique_name: opt("AppUniqueName").filter(|s| !s.is_empty()),
            cert_url: opt("CertURL").filter(|s| !s.is_empty()),
        })
    }
}

/// `localhost`, and the loopback addresses the simulator binds to.
fn is_local(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1")
}

/// `{8-4-4-4-12}` hex digits.
fn is_braced_guid(s: &str) -> bool {
    let Some(inner) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
        return false;
    };
    let groups: Vec<&str> = inner.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"<?xml version="1.0"?>
<QBWCXML>
  <AppName>PG Sync</AppName>
  <AppID></AppID>
  <AppURL>https://localhost:8443/qbwc</AppURL>
  <AppDescription>Postgres sync</AppDescription>
  <AppSupport>https://localhost:8443/support</AppSupport>
  <UserName>sync</UserName>
  <OwnerID>{87EDAAF8-637E-4203-867F-4BA79C2F8998}</OwnerID>
  <FileID>{CA1C3EB8-1B61-4747-A743-8D5B438B83AC}</FileID>
  <QBType>QBFS</QBType>
  <Style>Document</Style>
  <Scheduler><RunEveryNMinutes>5</RunEveryNMinutes></Scheduler>
  <IsReadOnly>false</IsReadOnly>
  <AuthFlags>0xF</AuthFlags>
</QBWCXML>"#;

    #[test]
    fn parses_the_reference_example() {
        let q = QwcFile::parse(MINIMAL).expect("parse");
        assert_eq!(q.app_name, "PG Sync");
        assert_eq!(q.app_id, "");
        assert_eq!(q.app_url, "https://localhost:8443/qbwc");
        assert_eq!(
            q.app_support.as_deref(),
            Some("https://localhost:8443/support")
        );
        assert_eq!(q.user_name, "sync");
        assert_eq!(q.owner_id, "{87EDAAF8-637E-4203-867F-4BA79C2F8998}");
        assert_eq!(q.file_id, "{CA1C3EB8-1B61-4747-A743-8D5B438B83AC}");
        assert_eq!(q.qb_type, QbType::Qbfs);
        assert_eq!(q.style, Style::Document);
        assert_eq!(q.scheduler, Some(RunEvery::Minutes(5)));
        assert_eq!(
            q.scheduler.map(|s| s.interval()),
            Some(Duration::from_secs(300))
        );
        assert!(!q.is_read_only);
        assert_eq!(q.auth_flags, Some(0xF));
        assert_eq!(q.notify, None);
    }

    #[test]
    fn seconds_scheduler_and_optional_elements() {
        let xml = MINIMAL
            .replace(
                "<RunEveryNMinutes>5</RunEveryNMinutes>",
                "<RunEveryNSeconds>30</RunEveryNSeconds>",
            )
            .replace(
                "</QBWCXML>",
                "<PersonalDataPref>pdpOptional</PersonalDataPref><UnattendedModePref>umpRequired</UnattendedModePref><Notify>true</Notify><AppDisplayName>Sync</AppDisplayName></QBWCXML>",
            )
            .replace("<AppSupport>https://localhost:8443/support</AppSupport>", "")
            .replace("https://localhost:8443/qbwc", "http://127.0.0.1:9000/qbwc");
        let q = QwcFile::parse(&xml).expect("parse");
        assert_eq!(q.scheduler, Some(RunEvery::Seconds(30)));
        assert_eq!(q.personal_data_pref.as_deref(), Some("pdpOptional"));
        assert_eq!(q.unattended_mode_pref.as_deref(), Some("umpRequired"));
        assert_eq!(q.notify, Some(true));
        assert_eq!(q.app_support, None);
        assert_eq!(q.app_display_name.as_deref(), Some("Sync"));
    }

    #[test]
    fn rejects_what_qbwc_rejects() {
        let cases = [
            (
                MINIMAL.replace("https://localhost:8443/qbwc", "http://example.com/qbwc"),
                "AppURL",
            ),
            (
                MINIMAL.replace("https://localhost:8443/qbwc", "qbwc"),
                "AppURL",
            ),
            (
                MINIMAL.replace(
                    "https://localhost:8443/support",
                    "https://other.example/support",
                ),
                "AppSupport",
            ),
            (
                MINIMAL.replace("{87EDAAF8-637E-4203-867F-4BA79C2F8998}", "87EDAAF8"),
                "OwnerID",
            ),
            (
                MINIMAL.replace(
                    "{CA1C3EB8-1B61-4747-A743-8D5B438B83AC}",
                    "{CA1C3EB8-1B61-4747-A743-8D5B438B83AZ}",
                ),
                "FileID",
            ),
            (MINIMAL.replace("QBFS", "QBOE"), "QBType"),
            (
                MINIMAL.replace("<UserName>sync</UserName>", "<UserName></UserName>"),
                "UserName",
            ),
            (MINIMAL.replace("<AppName>PG Sync</AppName>", ""), "AppName"),
            (MINIMAL.replace(">5<", ">0<"), "RunEveryNMinutes"),
            (MINIMAL.replace(">false<", ">no<"), "IsReadOnly"),
            (MINIMAL.replace("0xF", "lots"), "AuthFlags"),
            (MINIMAL.replace("Document", "Word"), "Style"),
        ];
        for (xml, element) in cases {
            let err = QwcFile::parse(&xml).expect_err(element);
            assert!(err.to_string().contains(element), "{element}: {err}");
        }
        assert!(matches!(QwcFile::parse("<QBXML/>"), Err(QwcError::Root(_))));
        assert!(matches!(QwcFile::parse("<QBWCXML>"), Err(QwcError::Xml(_))));
    }
}
