"""The platform's earlier API generations, alpha and beta, as thin adapters onto the v2 sends."""
