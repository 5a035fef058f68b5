//! faxbot-sdk: the library a plugin author builds a faxbot plugin with.
