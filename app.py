"""911 Outage Watch: the Streamlit app (navigation and page wiring only).

Each page is a small file in `webapp/pages/` calling its module's `render()`; every view is
shareable by its URL (see docs/app.md for the query parameters).
"""

import streamlit as st

st.set_page_config(
    page_title="911 Outage Watch",
    page_icon="🚨",
    layout="wide",
    menu_items={"About": "911 Outage Watch: public records of 911 outages across the US."},
)
PAGES = [
    st.Page(
        "webapp/pages/map.py", title="Map", icon=":material/map:", url_path="map", default=True
    ),
    st.Page(
        "webapp/pages/trends.py", title="Trends", icon=":material/insights:", url_path="trends"
    ),
    st.Page(
        "webapp/pages/incidents.py",
        title="Incidents",
        icon=":material/list_alt:",
        url_path="incidents",
    ),
    st.Page(
        "webapp/pages/place.py", title="Places", icon=":material/location_on:", url_path="place"
    ),
    st.Page("webapp/pages/sql.py", title="SQL", icon=":material/terminal:", url_path="sql"),
    st.Page(
        "webapp/pages/downloads.py",
        title="Downloads",
        icon=":material/download:",
        url_path="downloads",
    ),
    st.Page("webapp/pages/about.py", title="About", icon=":material/info:", url_path="about"),
]
st.navigation(PAGES, position="top").run()
