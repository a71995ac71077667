"""The Streamlit app's pages and data access (app.py wires them together)."""
