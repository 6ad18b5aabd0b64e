"""Conversion and onboarding (issue 14, item 6): a lead converted into a customer, a won opportunity's sale and
onboarding plan, and the 360 page's opportunities panel."""
