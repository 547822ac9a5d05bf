"""The admin web console: GOV.UK Frontend pages for service teams, over the platform's admin API."""
