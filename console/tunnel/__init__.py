"""The public URL Twilio calls back on: an ngrok tunnel, a fixed URL, or none.

Modules: ``state`` (TunnelState, TunnelPhase), ``public_url`` (the PublicUrlProvider protocol,
FixedPublicUrl, LocalOnly, validate_public_url), ``ngrok`` (NgrokTunnel on pyngrok, with its
helpers ``ngrok_setup``, ``ngrok_errors`` and ``ngrok_env``). Import from the submodules; this
package imports nothing so that ``state`` stays cheap to import.
"""
