"""The Incidents page (a file, so that `st.navigation` and AppTest.switch_page can address it)."""

from webapp import incidents_page

incidents_page.render()
