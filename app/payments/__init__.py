"""Payments: methods and their details, fees, currency conversion, withdrawal checks
and who may approve what. Plain rules; app/services/payments.py runs the workflow."""
