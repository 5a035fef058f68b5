//! faxbot-supervisor: the jail that confines each plugin process and the supervisor that
//! spawns, talks to, watches and restarts those processes.
