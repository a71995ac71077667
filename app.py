"""911 Outage Watch: the Streamlit app (navigation and page wiring only)."""

import streamlit as st

from webapp import map_page

st.set_page_config(page_title="911 Outage Watch", page_icon="📟", layout="wide")
navigation = st.navigation([st.Page(map_page.render, title="Map", url_path="map", default=True)])
navigation.run()
