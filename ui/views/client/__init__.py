"""The client list's filter bar and actions, and the client page with its sections."""
