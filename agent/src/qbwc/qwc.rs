//! The .QWC file a user imports into the Web Connector to register a company with qbsync
//! (reference sheet §6).

use qbsync_qbxml::Element;

/// What goes into a .QWC file.
#[derive(Debug, Clone)]
pub struct QwcSettings {
    pub app_name: String,
    /// The SOAP endpoint; `https://` unless the host is localhost.
    pub app_url: String,
    pub support_url: String,
    pub user_name: String,
    pub owner_id: String,
    pub file_id: String,
    /// Minutes between scheduled sessions (at least 1).
    pub run_every_minutes: u32,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum QwcError {
    #[error("AppURL must use https:// unless the host is localhost, not {0}")]
    Insecure(String),
    #[error("AppSupport must be on the same host as AppURL ({0})")]
    SupportHost(String),
    #[error("the scheduler interval must be at least 1 minute")]
    Interval,
}

fn host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    Some(authority.rsplit_once(':').map_or(authority, |(h, _)| h))
}

impl QwcSettings {
    /// The .QWC document (XML declaration, elements in the order Intuit's samples use).
    pub fn to_xml(&self) -> Result<String, QwcError> {
        let local = matches!(host(&self.app_url), Some("localhost") | Some("127.0.0.1"));
        if !self.app_url.starts_with("https://") && !local {
            return Err(QwcError::Insecure(self.app_url.clone()));
        }
        if host(&self.support_url) != host(&self.app_url) {
            return Err(QwcError::SupportHost(self.app_url.clone()));
        }
        if self.run_every_minutes == 0 {
            return Err(QwcError::Interval);
        }
        let doc = Element::new("QBWCXML")
            .leaf("AppName", &self.app_name)
            .child(Element::new("AppID"))
            .leaf("AppURL", &self.app_url)
            .leaf(
                "AppDescription",
                "qbsync: two-way sync between PostgreSQL and QuickBooks Desktop",
            )
            .leaf("AppSupport", &self.support_url)
            .leaf("UserName", &self.user_name)
            .leaf("OwnerID", &self.owner_id)
            .leaf("FileID", &self.file_id)
            .leaf("QBType", "QBFS")
            .leaf("Style", "Document")
            .child(
                Element::new("Scheduler")
                    .leaf("RunEveryNMinutes", self.run_every_minutes.to_string()),
            )
            .leaf("IsReadOnly", "false")
            .leaf("AuthFlags", "0xF");
        Ok(format!("<?xml version=\"1.0\"?>\n{}\n", doc.to_xml()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> QwcSettings {
        QwcSettings {
            app_name: "qbsync shop".into(),
            app_url: url.into(),
            support_url: url.replace("/qbwc", "/"),
            user_name: "qbwc-shop".into(),
            owner_id: "{87EDAAF8-637E-4203-867F-4BA79C2F8998}".into(),
            file_id: "{CA1C3EB8-1B61-4747-A743-8D5B438B83AC}".into(),
            run_every_minutes: 5,
        }
    }

    #[test]
    fn writes_the_registration_and_checks_the_url() {
        let xml = settings("https://sync.example.com/qbwc")
            .to_xml()
            .expect("qwc");
        let doc = Element::parse(&xml).expect("parse");
        assert_eq!(
            doc.child_text("AppURL"),
            Some("https://sync.example.com/qbwc")
        );
        assert_eq!(doc.child_text("UserName"), Some("qbwc-shop"));
        assert_eq!(
            doc.path(&["Scheduler", "RunEveryNMinutes"])
                .map(|e| e.text.as_str()),
            Some("5")
        );
        let names: Vec<&str> = doc.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            &names[..4],
            ["AppName", "AppID", "AppURL", "AppDescription"]
        );
        assert!(settings("http://localhost:8080/qbwc").to_xml().is_ok());
        assert_eq!(
            settings("http://sync.example.com/qbwc").to_xml(),
            Err(QwcError::Insecure("http://sync.example.com/qbwc".into()))
        );
    }
}
