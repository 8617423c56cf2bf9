//! Arbitrary bytes as a Web Connector SOAP envelope, read by both ends: `parse_call` (the
//! agent's SOAP service, before any authentication) and `parse_reply` (the simulated Web
//! Connector). Neither panics; a call that parses is written again by the client side and
//! reads back equal, and every reply the server could give it reads back equal too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qbsync_qbxml::soap::{
    call_envelope, fault_envelope, parse_call, parse_reply, reply_envelope, Call, Reply, SoapError,
};

/// Text fields of a call, used as reply contents (what the server echoes is user controlled).
fn texts(call: &Call) -> Vec<String> {
    match call {
        Call::ServerVersion { str_version } => str_version.iter().cloned().collect(),
        Call::ClientVersion { str_version } => vec![str_version.clone()],
        Call::Authenticate {
            user_name,
            password,
        } => vec![user_name.clone(), password.clone()],
        Call::SendRequestXml {
            ticket,
            hcp_response,
            company_file_name,
            country,
            ..
        } => vec![
            ticket.clone(),
            hcp_response.clone(),
            company_file_name.clone(),
            country.clone(),
        ],
        Call::ReceiveResponseXml {
            ticket,
            response,
            hresult,
            message,
        } => vec![
            ticket.clone(),
            response.clone(),
            hresult.clone(),
            message.clone(),
        ],
        Call::ConnectionError {
            ticket,
            hresult,
            message,
        } => vec![ticket.clone(), hresult.clone(), message.clone()],
        Call::GetLastError { ticket } | Call::CloseConnection { ticket } => vec![ticket.clone()],
        Call::GetInteractiveUrl {
            wc_ticket,
            session_id,
        } => vec![wc_ticket.clone(), session_id.clone()],
        Call::InteractiveDone { wc_ticket } => vec![wc_ticket.clone()],
        Call::InteractiveRejected { wc_ticket, reason } => {
            vec![wc_ticket.clone(), reason.clone()]
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let xml = String::from_utf8_lossy(data);

    if let Ok(call) = parse_call(&xml) {
        let op = call.operation();
        let _ = (call.soap_action(), call.ticket());

        let env = call_envelope(&call);
        match parse_call(&env) {
            Ok(back) => assert_eq!(back, call, "written as {env}"),
            Err(e) => panic!("call envelope does not read back ({e}): {env}"),
        }

        let texts = texts(&call);
        let reply = match op {
            "authenticate" => Reply::Strings(texts.clone()),
            "receiveResponseXML" => Reply::Int(texts.iter().map(String::len).sum::<usize>() as i32),
            _ => Reply::Text(texts.concat()),
        };
        let env = reply_envelope(op, &reply);
        match parse_reply(&env) {
            Ok((back_op, back)) => {
                assert_eq!(back_op, op, "written as {env}");
                assert_eq!(back, reply, "written as {env}");
            }
            Err(e) => panic!("reply envelope does not read back ({e}): {env}"),
        }

        let message = texts.concat();
        match parse_reply(&fault_envelope(&message)) {
            Err(SoapError::Fault { message: m, .. }) => assert_eq!(m, message),
            other => panic!("fault read back as {other:?}"),
        }
    }

    if let Ok((op, reply)) = parse_reply(&xml) {
        let _ = (reply.as_text(), reply.as_strings(), reply.as_int());
        // `op` may be any name the input made up; writing it must still not panic.
        let _ = parse_reply(&reply_envelope(&op, &reply));
    }
});
