"""Pure model: values, validation, the OAuth state, events."""
