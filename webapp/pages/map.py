"""The Map page (a file, so that `st.navigation` and AppTest.switch_page can address it)."""

from webapp import map_page

map_page.render()
