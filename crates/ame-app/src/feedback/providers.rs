//! Email service providers' event webhooks.
