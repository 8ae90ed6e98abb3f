// The playground page: GraphiQL plus a sign-in box. The box runs `login`,
// gives its access token to GraphiQL's fetcher (the Authorization header over
// HTTP, the connection_init payload over WebSocket), renews it with
// `refreshToken` a minute before it expires, and `logout` on sign-out.
//
// The session lives in sessionStorage (this tab, until it closes), never in
// localStorage: a token there would outlive the browser session and be readable
// by every later page of this origin. GraphiQL keeps its editors' text in
// localStorage but not the Headers editor (shouldPersistHeaders: false).
(function () {
  'use strict';

  var KEY = 'lianqi.playground.session';
  var PAYLOAD = 'accessToken expiresAt refreshToken refreshExpiresAt user { username displayName role }';
  var endpoint = new URL(document.body.dataset.endpoint, location.href);
  var wsEndpoint = new URL(endpoint.href);
  wsEndpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

  var $ = function (id) { return document.getElementById(id); };
  var session = load();
  var refreshTimer = 0;
  var root = ReactDOM.createRoot($('graphiql'));

  var defaultQuery = [
    '# Lianqi GraphQL playground.',
    '# Sign in above (every demo account\'s password is demo1234, e.g. admin),',
    '# then run this with the ▶ button or Ctrl-Enter.',
    'query Me {',
    '  me {',
    '    username',
    '    displayName',
    '    role',
    '  }',
    '}',
    ''
  ].join('\n');

  function load() {
    try {
      var s = JSON.parse(sessionStorage.getItem(KEY));
      return s && s.accessToken ? s : null;
    } catch (e) {
      return null;
    }
  }

  function save(s) {
    session = s;
    if (s) {
      sessionStorage.setItem(KEY, JSON.stringify(s));
    } else {
      sessionStorage.removeItem(KEY);
    }
  }

  function status(text, isError) {
    var el = $('status');
    el.textContent = text || '';
    el.className = isError ? 'error' : '';
  }

  // gql posts one operation and returns its data, or throws the first error
  // with its extensions.code in err.code.
  function gql(query, variables, token) {
    var headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (token) {
      headers.Authorization = 'Bearer ' + token;
    }
    return fetch(endpoint.href, {
      method: 'POST', headers: headers, credentials: 'omit',
      body: JSON.stringify({ query: query, variables: variables })
    }).then(function (res) {
      return res.json().catch(function () {
        throw new Error('HTTP ' + res.status);
      });
    }).then(function (out) {
      if (out.errors && out.errors.length) {
        var e = new Error(out.errors[0].message);
        e.code = out.errors[0].extensions && out.errors[0].extensions.code;
        throw e;
      }
      return out.data;
    });
  }

  function describe(err) {
    return err.code ? err.message + ' (' + err.code + ')' : err.message;
  }

  // fetcher reads the token at each call, so that a refreshed token is used
  // without rebuilding GraphiQL; a new fetcher (one per signed-in identity)
  // makes GraphiQL load the schema again, which in production only admins may
  // introspect.
  function makeFetcher() {
    return function (params, opts) {
      var auth = session ? { Authorization: 'Bearer ' + session.accessToken } : {};
      return GraphiQL.createFetcher({
        url: endpoint.href,
        subscriptionUrl: wsEndpoint.href,
        headers: auth,
        wsConnectionParams: auth
      })(params, opts);
    };
  }

  function render() {
    var signedIn = !!session;
    $('signin').hidden = signedIn;
    $('session').hidden = !signedIn;
    $('who').textContent = signedIn ? session.user.displayName + ' (' + session.user.username + ', ' + session.user.role + ')' : '';
    root.render(React.createElement(GraphiQL, {
      fetcher: makeFetcher(),
      defaultQuery: defaultQuery,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true
    }));
  }

  // schedule renews the access token a minute before it expires (at least 5 s
  // from now); a refresh that fails for a network reason is retried.
  function schedule() {
    clearTimeout(refreshTimer);
    if (!session) {
      return;
    }
    var wait = Date.parse(session.expiresAt) - Date.now() - 60000;
    refreshTimer = setTimeout(refresh, Math.max(wait, 5000));
  }

  function refresh() {
    if (!session) {
      return Promise.resolve();
    }
    var current = session;
    return gql('mutation Refresh($t: String!) { refreshToken(refreshToken: $t) { ' + PAYLOAD + ' } }',
      { t: current.refreshToken }).then(function (data) {
      if (session !== current) {
        return;
      }
      // A token that had already expired (a page reopened after a while)
      // failed GraphiQL's schema request: a new fetcher makes it ask again.
      var expired = Date.parse(current.expiresAt) <= Date.now();
      save(data.refreshToken);
      status('');
      schedule();
      if (expired) {
        render();
      }
    }, function (err) {
      if (session !== current) {
        return;
      }
      if (err.code) {
        // The session ended (expired, revoked, or its refresh token was
        // spent elsewhere): the tokens are worthless now.
        save(null);
        render();
        status('Signed out: ' + describe(err), true);
        return;
      }
      status('Could not renew the session (' + err.message + '); retrying', true);
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(refresh, 10000);
    });
  }

  $('signin').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var button = $('signin-button');
    button.disabled = true;
    status('Signing in…');
    gql('mutation Login($u: String!, $p: String!) { login(username: $u, password: $p) { ' + PAYLOAD + ' } }',
      { u: $('username').value, p: $('password').value }).then(function (data) {
      $('password').value = '';
      save(data.login);
      status('');
      render();
      schedule();
    }, function (err) {
      status('Sign-in failed: ' + describe(err), true);
    }).then(function () {
      button.disabled = false;
    });
  });

  $('signout').addEventListener('click', function () {
    var ended = session;
    clearTimeout(refreshTimer);
    save(null);
    render();
    status('Signed out');
    if (ended) {
      // Ends the session on the server too, so that its tokens stop working
      // at once rather than when they expire.
      gql('mutation Logout($t: String) { logout(refreshToken: $t) }', { t: ended.refreshToken }, ended.accessToken)
        .catch(function (err) {
          status('Signed out here; the server said: ' + describe(err), true);
        });
    }
  });

  render();
  if (session) {
    if (Date.parse(session.expiresAt) - Date.now() < 60000) {
      refresh();
    } else {
      schedule();
    }
  }
}());
