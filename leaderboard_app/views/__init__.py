"""The app's pages (each a function run by ``st.navigation``) and their shared widgets."""
