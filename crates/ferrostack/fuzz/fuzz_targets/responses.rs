//! Any bytes, as the body of any answer a service gives (a discovery document, an image, a
//! server, a token, an error page), must decode or be refused without a panic; discovery must
//! never leave the scheme, host and port it was given; an error must never show the token.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| ferrostack::fuzzing::responses(body));
