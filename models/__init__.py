"""Prebuilt model files (installed as package data of snngen)."""
