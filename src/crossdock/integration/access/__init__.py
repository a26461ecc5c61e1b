"""Who may call the partner API: partners, their keys and OAuth2 tokens, scopes, the audit log."""
