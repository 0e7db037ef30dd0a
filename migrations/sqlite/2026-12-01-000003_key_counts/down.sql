DROP INDEX api_keys_ws_state;
