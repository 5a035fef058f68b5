//! faxbot-builtins: first-party, in-process parts of the core — fax transports and storage
//! back ends. These see PHI; they never run plugin code.
